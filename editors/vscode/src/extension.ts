// The promptc VS Code extension: a language client for `promptc lsp` (stdio) on documents of
// language `promptc`. Highlighting comes from the TextMate grammar in syntaxes/; everything
// else (diagnostics, hover, definition, symbols, completion) comes from the server.
import * as vscode from "vscode";
import {
  CloseAction,
  ErrorAction,
  LanguageClient,
  LanguageClientOptions,
  RevealOutputChannelOn,
  ServerOptions,
  TransportKind,
} from "vscode-languageclient/node";

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { isDotprompt } = require("./dotprompt.js") as { isDotprompt: (text: string) => boolean };

let client: LanguageClient | undefined;
let output: vscode.OutputChannel | undefined;

interface Settings {
  command: string;
  debounceMs: number;
}

function readSettings(): Settings {
  const config = vscode.workspace.getConfiguration("promptc");
  const command = (config.get<string>("path") ?? "promptc").trim() || "promptc";
  const raw = config.get<number>("debounceMs", 150);
  const debounceMs = Number.isFinite(raw) && raw >= 0 ? Math.floor(raw) : 150;
  return { command, debounceMs };
}

function isMissingCommand(error: unknown): boolean {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const message = String((error as Error | undefined)?.message ?? error);
  return code === "ENOENT" || /ENOENT|not found|spawn .* ENOENT/i.test(message);
}

async function reportStartFailure(settings: Settings, error: unknown): Promise<void> {
  const openSettings = "Open Settings";
  const message = isMissingCommand(error)
    ? `promptc: could not run \`${settings.command} lsp\`: command not found. ` +
      `Install it with \`pip install 'promptc[lsp]'\`, or set "promptc.path" to the promptc ` +
      `executable (e.g. .venv/bin/promptc).`
    : `promptc: the language server (\`${settings.command} lsp\`) failed to start: ` +
      `${(error as Error)?.message ?? String(error)}. If promptc says the LSP extra is ` +
      `missing, run \`pip install 'promptc[lsp]'\`. See the "promptc" output for details.`;
  const choice = await vscode.window.showErrorMessage(message, openSettings);
  if (choice === openSettings) {
    await vscode.commands.executeCommand("workbench.action.openSettings", "promptc.path");
  }
}

async function startClient(context: vscode.ExtensionContext): Promise<void> {
  const settings = readSettings();
  output ??= vscode.window.createOutputChannel("promptc");

  const serverOptions: ServerOptions = {
    command: settings.command,
    args: ["lsp"],
    transport: TransportKind.stdio,
    options: { cwd: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath },
  };
  const clientOptions: LanguageClientOptions = {
    documentSelector: [
      { scheme: "file", language: "promptc" },
      { scheme: "untitled", language: "promptc" },
    ],
    initializationOptions: { debounceMs: settings.debounceMs },
    outputChannel: output,
    revealOutputChannelOn: RevealOutputChannelOn.Never,
    errorHandler: {
      error: () => ({ action: ErrorAction.Continue }),
      closed: () => ({
        action: CloseAction.DoNotRestart,
        message:
          `promptc: the language server (\`${settings.command} lsp\`) stopped. ` +
          `Run "promptc: Restart Language Server" after fixing it; see the "promptc" output.`,
      }),
    },
  };

  const next = new LanguageClient("promptc", "promptc", serverOptions, clientOptions);
  client = next;
  try {
    await next.start();
  } catch (error) {
    output.appendLine(`failed to start \`${settings.command} lsp\`: ${String(error)}`);
    client = undefined;
    try {
      await next.dispose();
    } catch {
      // the process never started; nothing to stop
    }
    await reportStartFailure(settings, error);
  }
}

async function stopClient(): Promise<void> {
  const current = client;
  client = undefined;
  if (current) {
    try {
      await current.stop();
    } catch {
      // already stopped
    }
  }
}

// Dotprompt (Genkit) also names its files `.prompt`: such a document is handed back to
// Handlebars instead of being checked as a promptc module (`promptc import` converts it).
async function releaseDotprompt(document: vscode.TextDocument): Promise<void> {
  if (document.languageId === "promptc" && isDotprompt(document.getText())) {
    await vscode.languages.setTextDocumentLanguage(document, "handlebars");
  }
}

export async function activate(context: vscode.ExtensionContext): Promise<void> {
  for (const document of vscode.workspace.textDocuments) await releaseDotprompt(document);
  context.subscriptions.push(
    vscode.workspace.onDidOpenTextDocument((document) => void releaseDotprompt(document)),
    vscode.commands.registerCommand("promptc.restartServer", async () => {
      await stopClient();
      await startClient(context);
    }),
    vscode.workspace.onDidChangeConfiguration(async (event) => {
      if (
        event.affectsConfiguration("promptc.path") ||
        event.affectsConfiguration("promptc.debounceMs")
      ) {
        await stopClient();
        await startClient(context);
      }
    }),
    { dispose: () => void stopClient() },
  );
  await startClient(context);
}

export async function deactivate(): Promise<void> {
  await stopClient();
}
