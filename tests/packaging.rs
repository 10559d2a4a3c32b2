//! `cargo binstall idtoken-doctor` downloads the archives that
//! .github/workflows/release.yml publishes: the templates of
//! `[package.metadata.binstall]` in Cargo.toml, expanded for every target of
//! the workflow's build matrix, name exactly the archive the workflow writes
//! for that target and the binary inside it. A renamed archive, a new target
//! or another archive format fails here instead of in a user's `binstall`.

use std::collections::BTreeMap;
use std::path::PathBuf;

fn read(rel: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(rel);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The `key = "value"` lines of each `[table]` of a TOML file whose name
/// starts with `prefix`. Cargo.toml's binstall tables hold only such lines;
/// anything else in them is a shape this test does not know, and fails it.
fn toml_tables(text: &str, prefix: &str) -> BTreeMap<String, BTreeMap<String, String>> {
    let mut tables = BTreeMap::new();
    let mut current: Option<String> = None;
    for line in text.lines().map(str::trim) {
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            current = name.starts_with(prefix).then(|| name.to_string());
            if let Some(name) = &current {
                tables.insert(name.clone(), BTreeMap::new());
            }
            continue;
        }
        let Some(name) = &current else { continue };
        let (key, value) = line
            .split_once(" = ")
            .unwrap_or_else(|| panic!("[{name}]: not a `key = \"value\"` line: {line}"));
        tables.get_mut(name).expect("inserted above").insert(
            key.to_string(),
            unquote(value)
                .unwrap_or_else(|| panic!("[{name}]: {key} is not a plain string: {value}")),
        );
    }
    tables
}

fn unquote(value: &str) -> Option<String> {
    let inner = value.strip_prefix('"')?.strip_suffix('"')?;
    (!inner.contains(['"', '\\'])).then(|| inner.to_string())
}

/// The crate's name: the `name = "…"` line of Cargo.toml's `[package]` table.
fn package_name(cargo_toml: &str) -> String {
    let package = cargo_toml
        .split("\n[")
        .map(|t| t.trim_start_matches('['))
        .find(|t| t.starts_with("package]"))
        .expect("Cargo.toml has a [package] table");
    package
        .lines()
        .find_map(|l| l.strip_prefix("name = "))
        .and_then(unquote)
        .expect("[package] has name = \"…\"")
}

/// Expands a binstall template: `{ key }` (spaces optional) from `vars`. An
/// unknown key panics, as binstall rejects it.
fn expand(template: &str, vars: &BTreeMap<&str, String>) -> String {
    let mut out = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let close = rest[open..]
            .find('}')
            .unwrap_or_else(|| panic!("unclosed {{ in {template}"));
        let key = rest[open + 1..open + close].trim();
        let value = vars
            .get(key)
            .unwrap_or_else(|| panic!("{template}: no value for {{ {key} }}"));
        out.push_str(value);
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out
}

/// One entry of the workflow's build matrix: `- { target: …, exe: …, … }`.
fn matrix(workflow: &str) -> Vec<BTreeMap<String, String>> {
    let entries: Vec<_> = workflow
        .lines()
        .map(str::trim)
        .filter(|l| l.starts_with("- { target: "))
        .map(|l| {
            let inner = l
                .strip_prefix("- {")
                .and_then(|l| l.strip_suffix('}'))
                .unwrap_or_else(|| panic!("a matrix entry on more than one line: {l}"));
            inner
                .split(',')
                .map(|pair| {
                    let (k, v) = pair
                        .split_once(':')
                        .unwrap_or_else(|| panic!("not `key: value` in the matrix: {pair}"));
                    (k.trim().to_string(), v.trim().to_string())
                })
                .collect::<BTreeMap<_, _>>()
        })
        .collect();
    assert!(
        entries.len() >= 5,
        "the release workflow's matrix has only {} entries: its shape changed",
        entries.len()
    );
    entries
}

/// The one line of the workflow's Pack step that starts with `start`, without it.
fn workflow_line<'a>(workflow: &'a str, start: &str) -> &'a str {
    let found: Vec<_> = workflow
        .lines()
        .filter_map(|l| l.trim().strip_prefix(start))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "the release workflow has {} lines starting with `{start}`",
        found.len()
    );
    found[0]
}

/// What the Pack step writes for one matrix entry: (archive file name, the
/// binary's path inside the archive), by the workflow's own shell lines
/// `name="…"`, `cp "target/$TARGET/release/${{ matrix.exe }}" … "dist/$name/"`
/// and `echo "file=dist/$name.${{ matrix.archive }}"`.
fn workflow_archive(
    workflow: &str,
    entry: &BTreeMap<String, String>,
    version: &str,
) -> (String, String) {
    let name_template = workflow_line(workflow, "name=\"")
        .strip_suffix('"')
        .expect("name=\"…\" is quoted");
    let name = name_template
        .replace("$VERSION", version)
        .replace("$TARGET", &entry["target"]);
    assert!(
        !name.contains('$'),
        "the archive name uses a variable this test does not know: {name_template}"
    );
    let file_line = workflow_line(workflow, "echo \"file=dist/");
    assert_eq!(
        file_line, "$name.${{ matrix.archive }}\" >> \"$GITHUB_OUTPUT\"",
        "the workflow names its archive another way"
    );
    let copy_line = workflow_line(workflow, "cp \"target/$TARGET/release/");
    assert!(
        copy_line.starts_with("${{ matrix.exe }}\" ") && copy_line.ends_with(" \"dist/$name/\""),
        "the workflow puts the binary elsewhere in the archive: {copy_line}"
    );
    (
        format!("{name}.{}", entry["archive"]),
        format!("{name}/{}", entry["exe"]),
    )
}

#[test]
fn binstall_templates_name_the_release_archives_of_every_target() {
    let cargo_toml = read("Cargo.toml");
    let workflow = read(".github/workflows/release.yml");
    let name = package_name(&cargo_toml);
    // Any version: the workflow's tag check makes the tag `v` + this.
    let version = "1.22.333-rc.4".to_string();
    let tables = toml_tables(&cargo_toml, "package.metadata.binstall");
    let base = tables
        .get("package.metadata.binstall")
        .expect("Cargo.toml has [package.metadata.binstall]");

    // The release is the tag's: `gh release create "$GITHUB_REF_NAME"`, with
    // the tag checked to be `v` + Cargo.toml's version.
    assert!(workflow.contains("if [ \"v$version\" != \"$GITHUB_REF_NAME\" ]; then"));
    assert!(workflow.contains("gh release create \"$GITHUB_REF_NAME\" dist/*"));
    let release_dir = "{ repo }/releases/download/v{ version }/";

    let entries = matrix(&workflow);
    for entry in &entries {
        let target = &entry["target"];
        let mut meta = base.clone();
        if let Some(over) = tables.get(&format!("package.metadata.binstall.overrides.{target}")) {
            meta.extend(over.clone());
        }
        let vars = BTreeMap::from([
            ("name", name.clone()),
            ("version", version.clone()),
            ("target", target.clone()),
            ("bin", name.clone()),
            // binstall's: ".exe" for a Windows target, nothing elsewhere.
            (
                "binary-ext",
                if target.contains("-windows-") {
                    ".exe"
                } else {
                    ""
                }
                .to_string(),
            ),
            ("repo", "https://github.com/OWNER/REPO".to_string()),
        ]);
        let (archive, binary) = workflow_archive(&workflow, entry, &version);

        let url_template = &meta["pkg-url"];
        let file_template = url_template.strip_prefix(release_dir).unwrap_or_else(|| {
            panic!("{target}: pkg-url {url_template} is not under {release_dir}")
        });
        assert_eq!(expand(file_template, &vars), archive, "{target}: pkg-url");
        assert_eq!(expand(&meta["bin-dir"], &vars), binary, "{target}: bin-dir");
        let format = match entry["archive"].as_str() {
            "tar.gz" => "tgz",
            "zip" => "zip",
            other => panic!("{target}: an archive format binstall is not told about: {other}"),
        };
        assert_eq!(meta["pkg-fmt"], format, "{target}: pkg-fmt");
    }

    // An override for a target the workflow does not build is a stale one.
    for table in tables.keys() {
        if let Some(target) = table.strip_prefix("package.metadata.binstall.overrides.") {
            assert!(
                entries.iter().any(|e| e["target"] == target),
                "Cargo.toml overrides binstall for {target}, which the release workflow does not build"
            );
        }
    }
}

#[test]
fn binstall_templates_expand_as_binstall_does() {
    let vars = BTreeMap::from([("name", "a".to_string()), ("version", "1.0.0".to_string())]);
    assert_eq!(expand("{ name }-{version}.tgz", &vars), "a-1.0.0.tgz");
    let unknown = std::panic::catch_unwind(|| expand("{ nope }", &vars));
    assert!(
        unknown.is_err(),
        "an unknown key must not expand to anything"
    );
}
