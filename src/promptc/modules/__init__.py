"""Finding module files, parsing them, and resolving imports into a module graph."""
