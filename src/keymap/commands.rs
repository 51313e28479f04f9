//! Slash commands as one table: what the input box parses, what help lists
//! and what Tab completes all come from `COMMANDS`.

/// A slash command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Command {
    Model,
    Compare,
    Keep,
    System,
    Reasoning,
    Attach,
    Paste,
    Web,
    Role,
    Detach,
    Sessions,
    Budget,
    Preset,
    Rename,
    Export,
    Retry,
    Edit,
    Tree,
    Fork,
    Title,
    Clear,
    Cost,
    Help,
    Quit,
}

/// One row: the names it answers to (the first is the one shown), how it is
/// written and what it does.
pub struct Spec {
    pub command: Command,
    pub names: &'static [&'static str],
    pub usage: &'static str,
    pub description: &'static str,
}

const fn c(
    command: Command,
    names: &'static [&'static str],
    usage: &'static str,
    description: &'static str,
) -> Spec {
    Spec {
        command,
        names,
        usage,
        description,
    }
}

/// Every slash command, in the order help lists them.
pub const COMMANDS: &[Spec] = &[
    c(
        Command::Model,
        &["/model"],
        "/model [ID]",
        "choose the model (opens the picker without an id)",
    ),
    c(
        Command::Compare,
        &["/compare"],
        "/compare [MODEL MODEL [MODEL MODEL] | off]",
        "ask 2 to 4 models each prompt side by side (alone: the last prompt again)",
    ),
    c(
        Command::Keep,
        &["/keep"],
        "/keep N",
        "keep answer N of the round as the reply",
    ),
    c(
        Command::System,
        &["/system"],
        "/system TEXT",
        "set the system prompt (empty clears it)",
    ),
    c(
        Command::Reasoning,
        &["/reasoning"],
        "/reasoning off|low|medium|high|N",
        "reasoning effort or token budget",
    ),
    c(
        Command::Attach,
        &["/attach"],
        "/attach [PATH|URL]",
        "attach a file to the next message: an image, a PDF, audio, video or text (the prompt without one)",
    ),
    c(
        Command::Role,
        &["/role"],
        "/role NAME",
        "use a role from the config's [roles]: its system prompt, model, reasoning and temperature (its name completes like a command)",
    ),
    c(
        Command::Web,
        &["/web"],
        "/web on|off",
        "search the web for the next prompts (OpenRouter): sources listed under the answer, the search's fee apart",
    ),
    c(
        Command::Paste,
        &["/paste"],
        "/paste",
        "attach the clipboard's image (a screenshot) as a PNG",
    ),
    c(
        Command::Detach,
        &["/detach"],
        "/detach [N]",
        "remove attachment N (all without N)",
    ),
    c(
        Command::Sessions,
        &["/sessions"],
        "/sessions",
        "saved conversations",
    ),
    c(
        Command::Budget,
        &["/budget"],
        "/budget [conversation|day] [AMOUNT|off]",
        "show or set the spending caps",
    ),
    c(
        Command::Preset,
        &["/preset"],
        "/preset NAME",
        "use a system prompt from the config's [presets]",
    ),
    c(
        Command::Rename,
        &["/rename"],
        "/rename TITLE",
        "name this conversation",
    ),
    c(
        Command::Export,
        &["/export"],
        "/export [PATH] [--json]",
        "write this conversation as Markdown or JSON",
    ),
    c(
        Command::Retry,
        &["/retry"],
        "/retry [MODEL]",
        "ask the last prompt again, optionally of another model (the old answer is kept: Alt+← walks back)",
    ),
    c(
        Command::Edit,
        &["/edit"],
        "/edit",
        "edit the last prompt and send it as a new branch (the old one is kept)",
    ),
    c(
        Command::Tree,
        &["/tree"],
        "/tree",
        "every branch of the conversation, with its cost; choose one to go there",
    ),
    c(
        Command::Fork,
        &["/fork"],
        "/fork",
        "a new saved conversation whose history is the current path",
    ),
    c(
        Command::Title,
        &["/title"],
        "/title",
        "ask the model for a short title and rename the conversation",
    ),
    c(
        Command::Clear,
        &["/clear"],
        "/clear",
        "start a new conversation",
    ),
    c(Command::Cost, &["/cost"], "/cost", "cost per model"),
    c(Command::Help, &["/help"], "/help", "keys and commands"),
    c(Command::Quit, &["/quit", "/q", "/exit"], "/quit", "quit"),
];

/// A line typed into the input box, read as a command and its argument
/// (trimmed). `Err` carries the unknown command's name.
pub fn parse(line: &str) -> Result<(Command, &str), &str> {
    let line = line.trim();
    let (name, arg) = match line.split_once(char::is_whitespace) {
        Some((n, a)) => (n, a.trim()),
        None => (line, ""),
    };
    COMMANDS
        .iter()
        .find(|s| s.names.contains(&name))
        .map(|s| (s.command, arg))
        .ok_or(name)
}

/// The commands whose name starts with `prefix` (`"/re"` gives `/reasoning`,
/// `/rename`, `/retry`).
pub fn complete(prefix: &str) -> Vec<&'static str> {
    COMMANDS
        .iter()
        .map(|s| s.names[0])
        .filter(|n| n.starts_with(prefix))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn commands_parse_complete_and_are_listed_once() {
        assert_eq!(parse("/model  google/x "), Ok((Command::Model, "google/x")));
        assert_eq!(parse("/q"), Ok((Command::Quit, "")));
        assert_eq!(parse("/nope x"), Err("/nope"));
        assert_eq!(complete("/re"), ["/reasoning", "/rename", "/retry"]);
        assert_eq!(complete("/mo"), ["/model"]);
        for s in COMMANDS {
            assert!(s.usage.starts_with(s.names[0]), "{}", s.usage);
        }
    }
}
