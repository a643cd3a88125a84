// Whether a `.prompt` file is a Dotprompt file (Genkit's format, which shares the extension)
// rather than a promptc module: the rule of promptc's own detection
// (src/promptc/interop/dotprompt.py, `is_dotprompt`), on the file's text.
"use strict";

const FRONT = /^---\s*(?:\r\n|\r|\n)([\s\S]*?)(?:\r\n|\r|\n)---\s*(?:\r\n|\r|\n)([\s\S]*)$/;
const DOTPROMPT_KEYS = /^(config|input|output|toolDefs|variant)\s*:/m;
const SCALAR_MODEL = /^model\s*:\s*[^\s{#][^\n]*$/m;
const PROMPTC_DECLARATION =
  /^\s*(system|user|assistant)\s+"""|^\s*(input|fragment|output|import|from|tool|type)\s+\w/m;
const HANDLEBARS = /\{\{\s*(role\s|#|>|\/|!|~)|\{\{\s*[\w@.]+\s*\}\}/;

function isDotprompt(text) {
  const match = FRONT.exec(text);
  const body = match ? match[2] : text;
  if (match) {
    const front = match[1];
    if (DOTPROMPT_KEYS.test(front)) return true;
    if (SCALAR_MODEL.test(front) && !/^version\s*:/m.test(front)) return true;
  }
  if (PROMPTC_DECLARATION.test(body)) return false;
  return HANDLEBARS.test(body);
}

module.exports = { isDotprompt };
