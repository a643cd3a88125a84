"""The lint stage: rules over the checked program and an instruction model of its text."""
