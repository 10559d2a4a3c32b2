//! The committed completions and man page are generated from the command
//! definition; these tests fail when they are stale. Regenerate with
//! `UPDATE_GENERATED=1 cargo test --test generated`.

use std::path::{Path, PathBuf};

use clap::CommandFactory;
use clap_complete::Shell;
use idtoken_doctor::cli::Cli;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// Compares `fresh` with the committed file, or rewrites it under UPDATE_GENERATED.
fn check_current(path: &Path, fresh: &[u8]) {
    if std::env::var_os("UPDATE_GENERATED").is_some() {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).expect("create the directory");
        }
        std::fs::write(path, fresh).expect("write the generated file");
        return;
    }
    let committed = std::fs::read(path).unwrap_or_default();
    assert!(
        committed == fresh,
        "{} is stale: run `UPDATE_GENERATED=1 cargo test --test generated` and commit the result",
        path.display()
    );
}

#[test]
fn completions_are_current() {
    let files = [
        (Shell::Bash, "idtoken-doctor.bash"),
        (Shell::Zsh, "_idtoken-doctor"),
        (Shell::Fish, "idtoken-doctor.fish"),
        (Shell::PowerShell, "_idtoken-doctor.ps1"),
        (Shell::Elvish, "idtoken-doctor.elv"),
    ];
    for (shell, name) in files {
        let script = idtoken_doctor::commands::completion_script(shell);
        assert!(!script.is_empty());
        check_current(&root().join("completions").join(name), &script);
    }
}

#[test]
fn man_page_is_current() {
    // The long version names the git commit, which changes with every commit
    // (this file's own included): the committed page carries the plain version.
    let command = Cli::command().long_version(None::<&str>);
    let mut page = Vec::new();
    clap_mangen::Man::new(command.clone())
        .render(&mut page)
        .expect("render the man page");
    for sub in command.get_subcommands() {
        let name = format!("idtoken-doctor-{}", sub.get_name());
        let mut sub_page = Vec::new();
        clap_mangen::Man::new(sub.clone().name(name.clone()))
            .render(&mut sub_page)
            .expect("render a subcommand page");
        check_current(
            &root().join("docs/man").join(format!("{name}.1")),
            &sub_page,
        );
    }
    check_current(&root().join("docs/man/idtoken-doctor.1"), &page);
}

#[test]
fn checks_catalog_is_current() {
    let md = idtoken_doctor::catalog::checks_markdown();
    check_current(&root().join("docs/checks.md"), md.as_bytes());
}

#[test]
fn json_report_doc_is_current() {
    let md = idtoken_doctor::catalog::json_report_markdown();
    assert!(md.contains("\"checks\""));
    check_current(&root().join("docs/json-report.md"), md.as_bytes());
}

/// `@` is PowerShell's splat operator: wherever help or a man page shows
/// `@PATH` or `@token.txt`, it shows the quoted PowerShell form too.
#[test]
fn every_at_path_in_help_shows_the_powershell_form() {
    let mut command = Cli::command();
    command.build();
    let mut helps = vec![(
        "idtoken-doctor".to_string(),
        command.render_long_help().to_string(),
    )];
    for sub in command.get_subcommands_mut() {
        helps.push((
            sub.get_name().to_string(),
            sub.render_long_help().to_string(),
        ));
    }
    let mut checked = 0;
    for (name, help) in helps {
        if help.contains("@PATH") || help.contains(" @token.txt") {
            assert!(help.contains("'@token.txt'"), "`{name} --help`:\n{help}");
            checked += 1;
        }
    }
    assert!(checked >= 5, "only {checked} help texts show @PATH");
    for entry in std::fs::read_dir(root().join("docs/man")).expect("docs/man") {
        let path = entry.expect("an entry").path();
        let page = std::fs::read_to_string(&path).expect("a man page");
        if page.contains("@PATH") || page.contains("@token.txt") {
            assert!(
                page.contains(r"\*(Aq@token.txt\*(Aq"),
                "{} shows @PATH without '@token.txt'",
                path.display()
            );
        }
    }
}
