"""The model-assisted review (`promptc review-lint`): an advisory pass that sends each
prompt, with its module context, to a configured model and reports what it finds as
diagnostics of the `review/` rules.

- `rubric`: the kinds of finding, the instructions sent with every prompt, the request
  text of one prompt and the parsing of a reply;
- `units`: the prompts to review, each with its messages as the model reads them and a map
  from that text back to the files;
- `anchor`: quotes found verbatim in the prompt become located diagnostics; others are
  dropped;
- `providers`: the OpenAI chat-completions and Anthropic Messages wire formats over the
  standard library, with retries;
- `run`: caching, the budget, de-duplication against the static findings and ignores;
- `commands`: the command line.
"""
