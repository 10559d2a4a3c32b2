//! `completions SHELL`: the completion script, generated from the command definition.
//!
//! clap_complete registers the script for the one name `idtoken-doctor`. On
//! Windows the command is also typed `idtoken-doctor.exe` or
//! `.\idtoken-doctor.exe` (a downloaded binary run from its folder), so each
//! script is extended to register those names too, wherever the shell lets a
//! name be registered.

use clap::CommandFactory;
use clap_complete::Shell;

use crate::cli::Cli;

/// The name clap_complete generates for.
const NAME: &str = "idtoken-doctor";

/// The name of the Windows binary.
const EXE_NAME: &str = "idtoken-doctor.exe";

/// The completion script for `shell`, as committed under `completions/`.
pub fn script(shell: Shell) -> Vec<u8> {
    let mut out = Vec::new();
    clap_complete::generate(shell, &mut Cli::command(), NAME, &mut out);
    register_windows_names(shell, &String::from_utf8_lossy(&out)).into_bytes()
}

/// Adds the Windows names of the binary to the registration in `script`.
///
/// Each script's completion logic skips the command word (it matches on what
/// follows), so registering more names is all it takes. The registration
/// lines are replaced exactly as clap_complete writes them; the tests below
/// fail if a new clap_complete writes them differently.
fn register_windows_names(shell: Shell, script: &str) -> String {
    match shell {
        // Three names: PowerShell 5.1 and 7 also look a typed command up by its
        // file name without extension, but only where that lookup exists; naming
        // `.\idtoken-doctor.exe` as typed does not depend on it.
        Shell::PowerShell => script.replace(
            &format!("-CommandName '{NAME}' "),
            &format!("-CommandName '{NAME}', '{EXE_NAME}', '.\\{EXE_NAME}' "),
        ),
        // Git Bash and MSYS2. bash finds `./idtoken-doctor.exe` by its last
        // path component, so `idtoken-doctor.exe` covers it.
        Shell::Bash => script.replace(
            &format!("-o default {NAME}\n"),
            &format!("-o default {NAME} {EXE_NAME}\n"),
        ),
        Shell::Zsh => script
            .replace(
                &format!("#compdef {NAME}\n"),
                &format!("#compdef {NAME} {EXE_NAME}\n"),
            )
            .replace(
                &format!("compdef _{NAME} {NAME}\n"),
                &format!("compdef _{NAME} {NAME} {EXE_NAME}\n"),
            ),
        Shell::Fish => format!("{script}complete -c {EXE_NAME} -w {NAME}\n"),
        Shell::Elvish => format!(
            "{script}set edit:completion:arg-completer[{EXE_NAME}] = $edit:completion:arg-completer[{NAME}]\n"
        ),
        _ => script.to_string(),
    }
}

/// Prints the completion script for `shell`.
pub fn run(shell: Shell) -> i32 {
    super::emit(&String::from_utf8_lossy(&script(shell)));
    0
}

#[cfg(test)]
mod tests {
    use super::*;

    fn text(shell: Shell) -> String {
        String::from_utf8(script(shell)).expect("UTF-8")
    }

    #[test]
    fn powershell_registers_the_exe_and_the_path_typed_in_its_folder() {
        let script = text(Shell::PowerShell);
        assert!(
            script.contains(
                "Register-ArgumentCompleter -Native -CommandName 'idtoken-doctor', 'idtoken-doctor.exe', '.\\idtoken-doctor.exe' -ScriptBlock {"
            ),
            "{script}"
        );
    }

    #[test]
    fn bash_registers_both_names_for_old_and_new_bash() {
        let script = text(Shell::Bash);
        let registrations: Vec<&str> = script
            .lines()
            .filter(|line| line.trim_start().starts_with("complete -F"))
            .collect();
        assert_eq!(registrations.len(), 2, "{script}");
        for line in registrations {
            assert!(
                line.ends_with(" idtoken-doctor idtoken-doctor.exe"),
                "{line}"
            );
        }
    }

    #[test]
    fn zsh_registers_both_names_as_autoloaded_and_as_sourced() {
        let script = text(Shell::Zsh);
        assert!(
            script.starts_with("#compdef idtoken-doctor idtoken-doctor.exe\n"),
            "{script}"
        );
        assert!(
            script.contains("compdef _idtoken-doctor idtoken-doctor idtoken-doctor.exe\n"),
            "{script}"
        );
    }

    #[test]
    fn fish_and_elvish_complete_the_exe_like_the_plain_name() {
        assert!(text(Shell::Fish).ends_with("complete -c idtoken-doctor.exe -w idtoken-doctor\n"));
        let elvish = text(Shell::Elvish);
        assert!(elvish.contains("set edit:completion:arg-completer[idtoken-doctor] = {"));
        assert!(elvish.ends_with(
            "set edit:completion:arg-completer[idtoken-doctor.exe] = $edit:completion:arg-completer[idtoken-doctor]\n"
        ));
    }

    /// The bash script, loaded into a real bash, completes `idtoken-doctor.exe
    /// dec` and `./idtoken-doctor.exe dec` to `decode`.
    #[cfg(unix)]
    #[test]
    fn bash_completes_the_exe_typed_bare_and_with_a_path() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("idtoken-doctor.bash");
        std::fs::write(&path, script(Shell::Bash)).expect("write the script");
        for typed in ["idtoken-doctor.exe", "./idtoken-doctor.exe"] {
            // bash resolves a command with a slash to its last component when
            // it has no completion of its own: ask `complete -p` the same way.
            let probe = format!(
                "source '{}'; spec=$(complete -p '{typed}' 2>/dev/null || complete -p \"${{1##*/}}\"); \
                 func=${{spec#*-F }}; func=${{func%% *}}; \
                 COMP_WORDS=('{typed}' dec); COMP_CWORD=1; COMP_LINE='{typed} dec'; COMP_POINT=${{#COMP_LINE}}; \
                 \"$func\" '{typed}' dec '{typed}'; printf '%s\\n' \"${{COMPREPLY[@]}}\"",
                path.display()
            );
            let output = std::process::Command::new("bash")
                .args(["-c", &probe, "bash", typed])
                .output()
                .expect("bash runs");
            let stdout = String::from_utf8_lossy(&output.stdout);
            assert!(
                stdout.lines().any(|line| line == "decode"),
                "{typed}: {stdout}{}",
                String::from_utf8_lossy(&output.stderr)
            );
        }
    }
}
