//! The module graph of every crate in the workspace, read from its sources as
//! `template.rs` reads template.yaml: no module of a crate may depend on itself through other
//! modules (an import loop), and `shared` keeps its layers, one folder each.
//!
//! A module is a file (an inline `mod tests` belongs to its file). A module depends on another
//! when its code names it: a `use`, a path in code (`crate::metrics::flush(..)`), a path inside a
//! macro call, or a parent's `pub use child::X`. Declaring `mod child;` is not a dependency.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use proc_macro2::{TokenStream, TokenTree};
use syn::visit::Visit;

fn workspace() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

/// A module's path from its crate root (`[]` is the root, `["cm", "routing"]` is `cm::routing`).
type ModPath = Vec<String>;

/// One crate target: its modules (each with its file) and what each depends on.
struct CrateGraph {
    name: String,
    files: BTreeMap<ModPath, PathBuf>,
    /// module -> (module it names, the path as written, for the failure message)
    edges: BTreeMap<ModPath, BTreeMap<ModPath, String>>,
}

/// Every crate target of the workspace's members: `src/lib.rs`, `src/main.rs`, `src/bin/*.rs`,
/// the `path = ".."` targets their Cargo.toml names and their `tests/*.rs`.
fn crate_roots() -> Vec<(String, PathBuf)> {
    let root = workspace();
    let manifest = std::fs::read_to_string(root.join("Cargo.toml")).expect("Cargo.toml");
    let members = manifest
        .split("members = [")
        .nth(1)
        .and_then(|rest| rest.split(']').next())
        .expect("the workspace lists its members");
    let mut roots = Vec::new();
    for member in members
        .split(',')
        .filter_map(|m| m.trim().strip_prefix('"'))
    {
        let dir = root.join(member.trim_end_matches('"'));
        let mut files: BTreeSet<PathBuf> = BTreeSet::new();
        for candidate in ["src/lib.rs", "src/main.rs"] {
            files.insert(dir.join(candidate));
        }
        for folder in ["src/bin", "tests"] {
            if let Ok(entries) = std::fs::read_dir(dir.join(folder)) {
                for entry in entries.flatten() {
                    files.insert(entry.path());
                }
            }
        }
        let cargo = std::fs::read_to_string(dir.join("Cargo.toml")).expect("member Cargo.toml");
        for line in cargo.lines() {
            if let Some(path) = line.trim().strip_prefix("path = \"") {
                files.insert(dir.join(path.trim_end_matches('"')));
            }
        }
        for file in files {
            if file.is_file() && file.extension().is_some_and(|e| e == "rs") {
                roots.push((relative(&file), file));
            }
        }
    }
    assert!(roots.len() >= 8, "found only {roots:?}");
    roots
}

fn relative(file: &Path) -> String {
    let root = workspace().canonicalize().expect("workspace");
    let file = file.canonicalize().unwrap_or_else(|_| file.to_owned());
    file.strip_prefix(&root)
        .unwrap_or(&file)
        .display()
        .to_string()
}

fn parse(file: &Path) -> syn::File {
    let text = std::fs::read_to_string(file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
    syn::parse_file(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()))
}

impl CrateGraph {
    fn read(name: String, root: &Path) -> Self {
        let mut graph = CrateGraph {
            name,
            files: BTreeMap::new(),
            edges: BTreeMap::new(),
        };
        let mut pending = vec![(ModPath::new(), root.to_owned(), true)];
        let mut parsed = Vec::new();
        while let Some((path, file, owns_dir)) = pending.pop() {
            let ast = parse(&file);
            // the folder a `mod x;` in this file is looked up in
            let dir = if owns_dir {
                file.parent().expect("a folder").to_owned()
            } else {
                file.with_extension("")
            };
            for item in &ast.items {
                if let syn::Item::Mod(m) = item
                    && m.content.is_none()
                {
                    let name = m.ident.to_string();
                    let mut child = path.clone();
                    child.push(name.clone());
                    let flat = dir.join(format!("{name}.rs"));
                    let nested = dir.join(&name).join("mod.rs");
                    if flat.is_file() {
                        pending.push((child, flat, false));
                    } else if nested.is_file() {
                        pending.push((child, nested, true));
                    } else {
                        panic!("{}: no file for `mod {name};`", file.display());
                    }
                }
            }
            graph.files.insert(path.clone(), file);
            parsed.push((path, ast));
        }
        for (path, ast) in &parsed {
            let mut visitor = Names {
                module: path.clone(),
                found: Vec::new(),
            };
            visitor.visit_file(ast);
            for (written, resolved) in visitor.found {
                if let Some(target) = graph.module_of(&resolved)
                    && target != *path
                {
                    graph
                        .edges
                        .entry(path.clone())
                        .or_default()
                        .entry(target)
                        .or_insert(written);
                }
            }
        }
        graph
    }

    /// The longest prefix of `path` that is one of the crate's modules (the root at least).
    fn module_of(&self, path: &[String]) -> Option<ModPath> {
        (0..=path.len())
            .rev()
            .map(|n| path[..n].to_vec())
            .find(|prefix| self.files.contains_key(prefix))
    }

    /// Every loop, as the modules along it (each loop once, from its smallest module).
    fn loops(&self) -> Vec<Vec<ModPath>> {
        let mut found = BTreeSet::new();
        for start in self.files.keys() {
            let mut stack = vec![(start.clone(), vec![start.clone()])];
            while let Some((at, trail)) = stack.pop() {
                for next in self.edges.get(&at).into_iter().flat_map(|e| e.keys()) {
                    if next == start {
                        found.insert(trail.clone());
                    } else if next > start && !trail.contains(next) {
                        let mut longer = trail.clone();
                        longer.push(next.clone());
                        stack.push((next.clone(), longer));
                    }
                }
            }
        }
        found.into_iter().collect()
    }

    fn describe(&self, cycle: &[ModPath]) -> String {
        let mut text = format!("{}:", self.name);
        for (i, from) in cycle.iter().enumerate() {
            let to = &cycle[(i + 1) % cycle.len()];
            let written = &self.edges[from][to];
            text.push_str(&format!(
                "\n  {} -> {} (names `{written}`)",
                show(from),
                show(to)
            ));
        }
        text
    }
}

fn show(path: &[String]) -> String {
    if path.is_empty() {
        "crate".to_owned()
    } else {
        path.join("::")
    }
}

/// Collects the crate-relative paths one file names, resolved to absolute module paths.
struct Names {
    /// the module the visitor is in (an inline `mod` extends the file's)
    module: ModPath,
    /// (as written, resolved from the crate root)
    found: Vec<(String, Vec<String>)>,
}

impl Names {
    /// `segments` resolved from the crate root, when it starts at `crate`, `self` or `super`.
    fn resolve(&self, segments: &[String]) -> Option<Vec<String>> {
        let mut base = self.module.clone();
        let mut rest = segments;
        match rest.first().map(String::as_str) {
            Some("crate") => {
                base.clear();
                rest = &rest[1..];
            }
            Some("self") => rest = &rest[1..],
            Some("super") => {
                while rest.first().map(String::as_str) == Some("super") {
                    base.pop()?;
                    rest = &rest[1..];
                }
            }
            _ => return None,
        }
        base.extend(rest.iter().cloned());
        Some(base)
    }

    fn note(&mut self, segments: Vec<String>) {
        let written = segments.join("::");
        // a bare `child::x` names a module declared in the current one (or is outside the crate,
        // and then resolves to the current module, which is no dependency)
        let segments =
            if segments.len() > 1 && !matches!(segments[0].as_str(), "crate" | "self" | "super") {
                std::iter::once("self".to_owned()).chain(segments).collect()
            } else {
                segments
            };
        if let Some(resolved) = self.resolve(&segments) {
            self.found.push((written, resolved));
        }
    }

    fn use_tree(&mut self, prefix: &mut Vec<String>, tree: &syn::UseTree) {
        match tree {
            syn::UseTree::Path(p) => {
                prefix.push(p.ident.to_string());
                self.use_tree(prefix, &p.tree);
                prefix.pop();
            }
            syn::UseTree::Name(n) => {
                let mut full = prefix.clone();
                if n.ident != "self" {
                    full.push(n.ident.to_string());
                }
                self.note(full);
            }
            syn::UseTree::Rename(r) => {
                let mut full = prefix.clone();
                if r.ident != "self" {
                    full.push(r.ident.to_string());
                }
                self.note(full);
            }
            syn::UseTree::Glob(_) => self.note(prefix.clone()),
            syn::UseTree::Group(g) => {
                for tree in &g.items {
                    self.use_tree(prefix, tree);
                }
            }
        }
    }

    /// `crate::a::b`, `super::x` and `self::y` sequences inside a macro's tokens.
    fn tokens(&mut self, tokens: TokenStream) {
        let trees: Vec<TokenTree> = tokens.into_iter().collect();
        let mut i = 0;
        while i < trees.len() {
            if let TokenTree::Group(group) = &trees[i] {
                self.tokens(group.stream());
            }
            if let TokenTree::Ident(ident) = &trees[i]
                && matches!(ident.to_string().as_str(), "crate" | "super" | "self")
            {
                let mut segments = vec![ident.to_string()];
                let mut j = i + 1;
                while let (Some(TokenTree::Punct(a)), Some(TokenTree::Punct(b)), Some(next)) =
                    (trees.get(j), trees.get(j + 1), trees.get(j + 2))
                {
                    if a.as_char() != ':' || b.as_char() != ':' {
                        break;
                    }
                    match next {
                        TokenTree::Ident(next) => segments.push(next.to_string()),
                        _ => break,
                    }
                    j += 3;
                }
                if segments.len() > 1 {
                    self.note(segments);
                }
                i = j;
                continue;
            }
            i += 1;
        }
    }
}

impl<'ast> Visit<'ast> for Names {
    fn visit_item_use(&mut self, item: &'ast syn::ItemUse) {
        let mut prefix = Vec::new();
        if item.leading_colon.is_none() {
            self.use_tree(&mut prefix, &item.tree);
        }
    }

    fn visit_item_mod(&mut self, item: &'ast syn::ItemMod) {
        if item.content.is_some() {
            self.module.push(item.ident.to_string());
            syn::visit::visit_item_mod(self, item);
            self.module.pop();
        }
    }

    fn visit_path(&mut self, path: &'ast syn::Path) {
        if path.leading_colon.is_none() {
            self.note(path.segments.iter().map(|s| s.ident.to_string()).collect());
        }
        syn::visit::visit_path(self, path);
    }

    /// `pub(super)` and `pub(crate)` say who may see an item, not what it uses.
    fn visit_visibility(&mut self, _: &'ast syn::Visibility) {}

    fn visit_macro(&mut self, mac: &'ast syn::Macro) {
        self.tokens(mac.tokens.clone());
        syn::visit::visit_macro(self, mac);
    }
}

fn graphs() -> Vec<CrateGraph> {
    crate_roots()
        .into_iter()
        .map(|(name, root)| CrateGraph::read(name, &root))
        .collect()
}

#[test]
fn no_crate_has_an_import_loop() {
    let graphs = graphs();
    let shared = graphs
        .iter()
        .find(|g| g.name == "shared/src/lib.rs")
        .unwrap_or_else(|| {
            let names: Vec<&str> = graphs.iter().map(|g| g.name.as_str()).collect();
            panic!("the shared crate is read: {names:?}")
        });
    assert!(
        shared.files.len() >= 18 && shared.edges.len() >= 12,
        "the reader must see shared's modules and their imports: {:?}",
        shared.edges.keys().collect::<Vec<_>>()
    );
    let loops: Vec<String> = graphs
        .iter()
        .flat_map(|g| g.loops().into_iter().map(|c| g.describe(&c)))
        .collect();
    assert!(
        loops.is_empty(),
        "import loops (each module below names the next):\n{}",
        loops.join("\n")
    );
}

/// The reader itself: a loop made on purpose is found, through `use`, a path in code, a macro,
/// `super` and a parent's re-export.
#[test]
fn the_reader_finds_loops_written_every_way() {
    let dir = std::env::temp_dir().join(format!("layers-probe-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for folder in ["b", "e"] {
        std::fs::create_dir_all(dir.join(folder)).expect("probe folder");
    }
    let files = [
        ("lib.rs", "mod a; mod b; mod c; mod d; mod e;"),
        ("a.rs", "pub fn f() { crate::b::g(); }"),
        ("b/mod.rs", "mod inner; pub use inner::X; pub fn g() {}"),
        ("b/inner.rs", "pub struct X; fn h() { super::g() }"),
        // a visibility names no module: no loop between e and e::f
        ("e/mod.rs", "mod f; pub use f::F;"),
        (
            "e/f.rs",
            "pub struct F; pub(super) fn g() {} pub(crate) fn h() {}",
        ),
        (
            "c.rs",
            "pub fn c() { tracing::info!(x = crate::d::D, \"y\"); }",
        ),
        (
            "d.rs",
            "use crate::c::c; pub const D: u8 = 1; mod tests { use super::super::a::f; }",
        ),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("probe file");
    }
    let graph = CrateGraph::read("probe".into(), &dir.join("lib.rs"));
    let loops: Vec<String> = graph.loops().iter().map(|c| graph.describe(c)).collect();
    let _ = std::fs::remove_dir_all(&dir);
    let expected = [
        "probe:\n  b -> b::inner (names `inner::X`)\n  b::inner -> b (names `super::g`)",
        "probe:\n  c -> d (names `crate::d::D`)\n  d -> c (names `crate::c::c`)",
    ];
    assert_eq!(loops, expected);
    let a: ModPath = vec!["a".into()];
    let d: ModPath = vec!["d".into()];
    assert_eq!(
        graph
            .edges
            .get(&d)
            .and_then(|e| e.get(&a))
            .map(String::as_str),
        Some("super::super::a::f"),
        "an inline module's `super` is its file"
    );
}

/// `shared`'s layers: its folders, each numbered by the first line of its `mod.rs`
/// (`//! **Layer 2: the rules**, ...`). Every module of the crate lives in one of them.
fn folder_layers(src: &Path) -> BTreeMap<String, (usize, String)> {
    let mut layers = BTreeMap::new();
    for entry in std::fs::read_dir(src).expect("the crate's src").flatten() {
        let path = entry.path();
        let name = entry.file_name().to_string_lossy().into_owned();
        if !path.is_dir() {
            assert_eq!(
                name,
                "lib.rs",
                "{} holds its layers' folders and lib.rs only, not {name}",
                src.display()
            );
            continue;
        }
        let first = std::fs::read_to_string(path.join("mod.rs"))
            .unwrap_or_else(|e| panic!("{}/{name}/mod.rs: {e}", src.display()));
        let first = first.lines().next().unwrap_or_default();
        let layer = first
            .strip_prefix("//! **Layer ")
            .and_then(|rest| rest.split_once(": "))
            .and_then(|(n, rest)| Some((n.parse::<usize>().ok()?, rest.split("**").next()?)));
        let Some((number, title)) = layer else {
            panic!(
                "{}/{name}/mod.rs opens with `//! **Layer N: what lives here**`, not {first:?}",
                src.display()
            )
        };
        layers.insert(name, (number, title.to_owned()));
    }
    layers
}

/// Each import of a module from a later layer than its own, described.
fn upward_imports(graph: &CrateGraph, layers: &BTreeMap<String, (usize, String)>) -> Vec<String> {
    let mut breaches = Vec::new();
    for (from, targets) in &graph.edges {
        let Some(from_top) = from.first() else {
            continue;
        };
        for (to, written) in targets {
            let Some(to_top) = to.first() else { continue };
            let (from_layer, to_layer) = (&layers[from_top], &layers[to_top]);
            if to_layer.0 > from_layer.0 {
                breaches.push(format!(
                    "{} (layer {}: {}) names `{written}` of {} (layer {}: {})",
                    show(from),
                    from_layer.0,
                    from_layer.1,
                    show(to),
                    to_layer.0,
                    to_layer.1
                ));
            }
        }
    }
    breaches
}

#[test]
fn shared_keeps_its_layers_one_folder_each() {
    let layers = folder_layers(&workspace().join("shared/src"));
    let mut numbers: Vec<usize> = layers.values().map(|(n, _)| *n).collect();
    numbers.sort_unstable();
    assert_eq!(
        numbers,
        (1..=layers.len()).collect::<Vec<_>>(),
        "the folders are layers 1 to {}, each once: {layers:?}",
        layers.len()
    );
    assert!(layers.len() >= 4, "shared shows its layers: {layers:?}");
    let graph = CrateGraph::read("shared".into(), &workspace().join("shared/src/lib.rs"));
    let top_level: BTreeSet<String> = graph
        .files
        .keys()
        .filter_map(|m| m.first().cloned())
        .collect();
    let folders: BTreeSet<String> = layers.keys().cloned().collect();
    assert_eq!(
        top_level, folders,
        "lib.rs declares the layers' folders, and only those"
    );
    let breaches = upward_imports(&graph, &layers);
    assert!(
        breaches.is_empty(),
        "a layer imports only from its own and the layers before it:\n{}",
        breaches.join("\n")
    );
}

/// The check itself: of two modules that name each other across layers, the one in the earlier
/// layer is named, with both layers.
#[test]
fn an_import_from_a_later_layer_is_found() {
    let dir = std::env::temp_dir().join(format!("layers-upward-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    for folder in ["rules", "http"] {
        std::fs::create_dir_all(dir.join(folder)).expect("probe folder");
    }
    let files = [
        ("lib.rs", "pub mod rules; pub mod http;"),
        ("rules/mod.rs", "//! **Layer 1: rules**\npub mod once;"),
        ("rules/once.rs", "pub fn f() { crate::http::answer::g(); }"),
        ("http/mod.rs", "//! **Layer 2: the edge**\npub mod answer;"),
        ("http/answer.rs", "pub fn g() { crate::rules::once::f(); }"),
    ];
    for (name, text) in files {
        std::fs::write(dir.join(name), text).expect("probe file");
    }
    let graph = CrateGraph::read("probe".into(), &dir.join("lib.rs"));
    let layers = folder_layers(&dir);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(
        upward_imports(&graph, &layers),
        [
            "rules::once (layer 1: rules) names `crate::http::answer::g` of http::answer (layer 2: the edge)"
        ]
    );
}

#[test]
fn config_imports_nothing_from_its_crate() {
    let graph = CrateGraph::read("shared".into(), &workspace().join("shared/src/lib.rs"));
    let config: ModPath = vec!["setup".into(), "config".into()];
    assert!(
        graph.files.contains_key(&config),
        "shared::setup::config is read"
    );
    assert_eq!(
        graph
            .edges
            .get(&config)
            .map(|e| e.values().cloned().collect::<Vec<_>>()),
        None,
        "shared::setup::config is the leaf every start-up reader uses"
    );
}
