//! The shape of the code, checked: no module inside a folder of `src/app`
//! or `src/ui` imports one that imports it back (directly or round a
//! circle), and `App`'s fields are its parts, about ten at most. A folder's
//! `mod.rs` is its table of contents and may name its children.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

/// Every folder under `root` (itself included) with its module files.
fn folders(root: &Path) -> Vec<(PathBuf, Vec<PathBuf>)> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let mut files = Vec::new();
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else if p.extension().is_some_and(|x| x == "rs") {
                files.push(p);
            }
        }
        files.sort();
        out.push((dir, files));
    }
    out
}

/// The sibling modules a file names: `super::NAME`, `super::{NAME, …}`,
/// and `crate::<folder path>::NAME`.
fn uses(text: &str, siblings: &BTreeSet<String>, crate_path: &str) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    // Comments do not import anything.
    let code: String = text
        .lines()
        .map(|l| match l.find("//") {
            Some(i) => &l[..i],
            None => l,
        })
        .collect::<Vec<_>>()
        .join("\n");
    for prefix in ["super::".to_string(), format!("{crate_path}::")] {
        let mut rest = code.as_str();
        while let Some(i) = rest.find(&prefix) {
            // `super::super::x` is another folder's business.
            let before = &rest[..i];
            rest = &rest[i + prefix.len()..];
            if before.ends_with("super::") {
                continue;
            }
            if let Some(group) = rest.strip_prefix('{') {
                let end = matching_brace(group);
                for item in split_top(&group[..end]) {
                    let name: String = item
                        .trim()
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if siblings.contains(&name) {
                        out.insert(name);
                    }
                }
            } else {
                let name: String = rest
                    .chars()
                    .take_while(|c| c.is_alphanumeric() || *c == '_')
                    .collect();
                if siblings.contains(&name) {
                    out.insert(name);
                }
            }
        }
    }
    out
}

fn matching_brace(s: &str) -> usize {
    let mut depth = 1;
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => {
                depth -= 1;
                if depth == 0 {
                    return i;
                }
            }
            _ => {}
        }
    }
    s.len()
}

/// A use group's items at its top level (`a, b::{c, d}, e`).
fn split_top(s: &str) -> Vec<&str> {
    let (mut out, mut depth, mut start) = (Vec::new(), 0, 0);
    for (i, c) in s.char_indices() {
        match c {
            '{' => depth += 1,
            '}' => depth -= 1,
            ',' if depth == 0 => {
                out.push(&s[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    out.push(&s[start..]);
    out
}

/// A circle in `graph`, if there is one (as the path round it).
fn circle(graph: &BTreeMap<String, BTreeSet<String>>) -> Option<Vec<String>> {
    fn visit(
        n: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        state: &mut BTreeMap<String, u8>,
        stack: &mut Vec<String>,
    ) -> Option<Vec<String>> {
        state.insert(n.to_string(), 1);
        stack.push(n.to_string());
        for m in graph.get(n).into_iter().flatten() {
            match state.get(m) {
                Some(1) => {
                    let at = stack.iter().position(|s| s == m).unwrap();
                    let mut c = stack[at..].to_vec();
                    c.push(m.clone());
                    return Some(c);
                }
                Some(_) => {}
                None => {
                    if let Some(c) = visit(m, graph, state, stack) {
                        return Some(c);
                    }
                }
            }
        }
        stack.pop();
        state.insert(n.to_string(), 2);
        None
    }
    let mut state = BTreeMap::new();
    for n in graph.keys() {
        if !state.contains_key(n)
            && let Some(c) = visit(n, graph, &mut state, &mut Vec::new())
        {
            return Some(c);
        }
    }
    None
}

/// Checks every folder under `src/<root>`; returns each folder's graph.
fn check(root: &str) -> BTreeMap<String, BTreeMap<String, BTreeSet<String>>> {
    let mut all = BTreeMap::new();
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    for (dir, files) in folders(&src.join(root)) {
        let rel = dir.strip_prefix(&src).unwrap();
        let crate_path = format!(
            "crate::{}",
            rel.components()
                .map(|c| c.as_os_str().to_string_lossy().into_owned())
                .collect::<Vec<_>>()
                .join("::")
        );
        let module = |p: &PathBuf| p.file_stem().unwrap().to_string_lossy().into_owned();
        let mut siblings: BTreeSet<String> =
            files.iter().map(module).filter(|m| m != "mod").collect();
        // A sub-folder is a sibling module too.
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                siblings.insert(p.file_name().unwrap().to_string_lossy().into_owned());
            }
        }
        let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
        for f in files.iter().filter(|f| module(f) != "mod") {
            let text = std::fs::read_to_string(f).unwrap();
            let mut used = uses(&text, &siblings, &crate_path);
            used.remove(&module(f));
            graph.insert(module(f), used);
        }
        // A sub-folder's files name the folder's modules as `super::super`
        // or `crate::…`; they count as the sub-folder module's imports.
        for sub in siblings.iter().filter(|s| dir.join(s).is_dir()) {
            let mut used = BTreeSet::new();
            for (d, fs) in folders(&dir.join(sub)) {
                let _ = d;
                for f in fs {
                    let text = std::fs::read_to_string(&f).unwrap();
                    used.extend(uses(
                        &text.replace("super::super::", "PARENT::"),
                        &siblings,
                        &crate_path,
                    ));
                    used.extend(uses(
                        &text.replace("super::super::", "super::"),
                        &siblings,
                        "\u{0}",
                    ));
                }
            }
            used.remove(sub);
            graph.entry(sub.clone()).or_default().extend(used);
        }
        if let Some(c) = circle(&graph) {
            panic!(
                "an import circle in {}: {}\n{graph:#?}",
                dir.display(),
                c.join(" → ")
            );
        }
        all.insert(rel.display().to_string(), graph);
    }
    all
}

#[test]
fn no_import_circle_inside_src_app() {
    let g = check("app");
    // The checker sees the imports there are (it could not pass by seeing none).
    let app = &g["app"];
    assert!(
        app["keys"].contains("ask") && app["ask"].contains("persist"),
        "{app:#?}"
    );
    assert!(app["update"].contains("conversation"), "{app:#?}");
    assert!(g["app/conversation"]["saved"].contains("node"), "{g:#?}");
}

#[test]
fn no_import_circle_inside_src_ui() {
    let g = check("ui");
    let ui = &g["ui"];
    assert!(ui["conversation"].contains("answer"), "{ui:#?}");
    assert!(ui["compare"].contains("view"), "{ui:#?}");
}

#[test]
fn the_checker_finds_a_circle() {
    let mut g: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    g.insert("a".into(), ["b".to_string()].into());
    g.insert("b".into(), ["c".to_string()].into());
    g.insert("c".into(), ["a".to_string()].into());
    assert_eq!(circle(&g).unwrap(), ["a", "b", "c", "a"]);
    g.insert("c".into(), BTreeSet::new());
    assert!(circle(&g).is_none());
    let sib: BTreeSet<String> = ["ask", "keys", "model"].map(String::from).into();
    assert_eq!(
        uses(
            "use super::{ask, model::{self, short}};\n// super::keys\nlet x = crate::app::keys::y;",
            &sib,
            "crate::app"
        ),
        ["ask", "keys", "model"].map(String::from).into()
    );
}

#[test]
fn apps_fields_are_its_parts() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("src/app/state.rs"))
            .unwrap();
    let start = text.find("pub struct App {").expect("App");
    let body = &text[start..start + text[start..].find("\n}").unwrap()];
    let fields: Vec<&str> = body
        .lines()
        .skip(1)
        .map(str::trim)
        .filter(|l| l.starts_with("pub ") || l.contains(':') && !l.starts_with("//"))
        .collect();
    assert!(
        fields.len() <= 10,
        "App has {} fields: {fields:#?}",
        fields.len()
    );
}
