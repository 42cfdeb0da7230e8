//! The typed contract with the desktop app's UI, generated from the Rust types: the
//! TypeScript declarations of every request, response and progress type (ts-rs), one wrapper
//! per operation, the events of the long operations, and the README's table of operations.
//!
//! The generated files are checked in (`ui/src/lib/generated/`); the test
//! `generated_contract_is_current` regenerates them in memory and fails when they differ, so
//! the UI and the core cannot drift. `CODEBENCH_WRITE_CONTRACT=1 cargo test -p codebench
//! contract` writes them anew.

use std::collections::BTreeMap;

use ts_rs::{Config, TypeVisitor, TS};

use super::{OpKind, OPERATIONS};

/// The generated files: (path relative to the repository, content).
pub struct Contract {
    /// TypeScript names that two Rust types declare (each must be renamed with `#[ts(rename)]`).
    pub clashes: Vec<String>,
    /// `ui/src/lib/generated/types.ts`.
    pub types: String,
    /// `ui/src/lib/generated/commands.ts`.
    pub commands: String,
    /// The Markdown table of operations for the README.
    pub table: String,
}

/// The ts-rs configuration: 64-bit integers as `number` (ids, counts and seeds fit in 53 bits).
fn config() -> Config {
    Config::new().with_large_int("number")
}

/// Collects the declarations of every named type reachable from the ones added.
struct Collect {
    cfg: Config,
    decls: BTreeMap<String, String>,
    /// Every type visited, named or not (recursive types such as JSON values end here).
    seen: std::collections::HashSet<std::any::TypeId>,
    /// The type behind each declared name.
    owners: BTreeMap<String, std::any::TypeId>,
    /// Names declared by two types.
    clashes: Vec<String>,
}

impl TypeVisitor for Collect {
    fn visit<T: TS + 'static + ?Sized>(&mut self) {
        if !self.seen.insert(std::any::TypeId::of::<T>()) {
            return;
        }
        if T::output_path().is_none() {
            // A primitive or a container (Vec, Option, maps): what it holds may be named.
            T::visit_generics(self);
            T::visit_dependencies(self);
            return;
        }
        let name = T::ident(&self.cfg);
        // Two Rust types under one TypeScript name would silently lose one of them.
        let id = std::any::TypeId::of::<T>();
        if let Some(other) = self.owners.get(&name) {
            // ts-rs declares serde_json's Value through a helper type of the same name.
            if *other != id && name != "JsonValue" {
                self.clashes.push(format!(
                    "{name}: {} and another type",
                    std::any::type_name::<T>()
                ));
            }
            return;
        }
        self.owners.insert(name.clone(), id);
        self.decls.insert(name.clone(), String::new());
        let mut decl = String::new();
        if let Some(docs) = T::docs() {
            decl.push_str(&docs);
        }
        decl.push_str("export ");
        decl.push_str(&T::decl(&self.cfg));
        self.decls.insert(name, decl);
        T::visit_dependencies(self);
        T::visit_generics(self);
    }
}

/// One wrapper to generate.
struct Command {
    name: &'static str,
    kind: OpKind,
    request: String,
    response: String,
    progress: Option<String>,
}

macro_rules! contract_types {
    (
        study { $( $(#[doc = $sdoc:literal])* $sname:ident($sreq:ty) => $sresp:ty, cli $scli:literal; )* }
        global { $( $(#[doc = $gdoc:literal])* $gname:ident($greq:ty) => $gresp:ty, cli $gcli:literal; )* }
        task { $( $(#[doc = $tdoc:literal])* $tname:ident($treq:ty) => $tresp:ty, progress $tev:ty, cli $tcli:literal; )* }
    ) => {
        fn collect(c: &mut Collect) -> Vec<Command> {
            let mut out = Vec::new();
            $(
                c.visit::<$sreq>();
                c.visit::<$sresp>();
                out.push(Command {
                    name: stringify!($sname),
                    kind: OpKind::Study,
                    request: <$sreq as TS>::name(&c.cfg),
                    response: <$sresp as TS>::name(&c.cfg),
                    progress: None,
                });
            )*
            $(
                c.visit::<$greq>();
                c.visit::<$gresp>();
                out.push(Command {
                    name: stringify!($gname),
                    kind: OpKind::Global,
                    request: <$greq as TS>::name(&c.cfg),
                    response: <$gresp as TS>::name(&c.cfg),
                    progress: None,
                });
            )*
            $(
                c.visit::<$treq>();
                c.visit::<$tresp>();
                c.visit::<$tev>();
                out.push(Command {
                    name: stringify!($tname),
                    kind: OpKind::Task,
                    request: <$treq as TS>::name(&c.cfg),
                    response: <$tresp as TS>::name(&c.cfg),
                    progress: Some(<$tev as TS>::name(&c.cfg)),
                });
            )*
            out
        }
    };
}
crate::for_each_operation!(contract_types);

/// `record_decision` → `recordDecision`.
fn camel(name: &str) -> String {
    let mut out = String::new();
    let mut up = false;
    for ch in name.chars() {
        if ch == '_' {
            up = true;
        } else if up {
            out.extend(ch.to_uppercase());
            up = false;
        } else {
            out.push(ch);
        }
    }
    out
}

/// The header of every generated file.
const NOTE: &str = "// Generated by codebench::api::contract from the Rust types: do not edit.\n// Regenerate with `CODEBENCH_WRITE_CONTRACT=1 cargo test -p codebench contract`.\n";

/// Renders the contract.
pub fn render() -> Contract {
    let mut c = Collect {
        cfg: config(),
        decls: BTreeMap::new(),
        seen: Default::default(),
        owners: BTreeMap::new(),
        clashes: Vec::new(),
    };
    c.visit::<super::ApiError>();
    c.visit::<super::ErrorKind>();
    let commands = collect(&mut c);

    let mut types = String::from(NOTE);
    for decl in c.decls.values() {
        types.push('\n');
        types.push_str(decl);
        types.push('\n');
    }

    let mut names: Vec<&str> = Vec::new();
    for cmd in &commands {
        for t in [&cmd.request, &cmd.response]
            .into_iter()
            .chain(cmd.progress.as_ref())
        {
            names.push(t);
        }
    }
    // Import what the wrappers name: the identifiers of their types that are declared.
    let mut imports: Vec<String> = names
        .iter()
        .flat_map(|n| n.split(|ch: char| !(ch.is_alphanumeric() || ch == '_')))
        .filter(|w| c.decls.contains_key(*w))
        .map(str::to_string)
        .chain(["ApiError".to_string()])
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect();
    imports.sort();
    let mut out = String::from(NOTE);
    out.push_str("\nimport { invoke } from \"@tauri-apps/api/core\";\nimport { listen, type UnlistenFn } from \"@tauri-apps/api/event\";\n");
    out.push_str(&format!(
        "import type {{ {} }} from \"./types\";\n",
        imports.join(", ")
    ));
    out.push_str("\n/** The payload of a task's `finished` event: its result, or why it failed. */\nexport type Finished<T> = { result: T; error: null } | { result: null; error: ApiError };\n");
    for cmd in &commands {
        let doc = OPERATIONS
            .iter()
            .find(|o| o.name == cmd.name)
            .map(|o| o.summary.trim())
            .unwrap_or("");
        let f = camel(cmd.name);
        match cmd.kind {
            OpKind::Study | OpKind::Global => out.push_str(&format!(
                "\n/** {doc} */\nexport const {f} = (request: {req}): Promise<{resp}> => invoke<{resp}>(\"{name}\", {{ request }});\n",
                req = cmd.request,
                resp = cmd.response,
                name = cmd.name,
            )),
            OpKind::Task => {
                let ev = cmd.progress.as_deref().unwrap_or("unknown");
                out.push_str(&format!(
                    "\n/** {doc} Starts it in the background; false when one is already running. */\nexport const {f} = (request: {req}): Promise<boolean> => invoke<boolean>(\"{name}\", {{ request }});\n/** Progress of {name}. */\nexport const on{F}Progress = (cb: (p: {ev}) => void): Promise<UnlistenFn> => listen<{ev}>(\"{name}:progress\", (e) => cb(e.payload));\n/** The end of {name}. */\nexport const on{F}Finished = (cb: (f: Finished<{resp}>) => void): Promise<UnlistenFn> => listen<Finished<{resp}>>(\"{name}:finished\", (e) => cb(e.payload));\n/** Asks {name} to stop (what was stored stays); false when none runs. */\nexport const cancel{F} = (): Promise<boolean> => invoke<boolean>(\"cancel_task\", {{ request: {{ task: \"{name}\" }} }});\n",
                    req = cmd.request,
                    resp = cmd.response,
                    name = cmd.name,
                    F = {
                        let mut s = camel(cmd.name);
                        if let Some(first) = s.get(..1) {
                            s = first.to_uppercase() + &s[1..];
                        }
                        s
                    },
                ));
            }
        }
    }

    let mut table = String::from(
        "| operation | CLI | app command | what it does |\n| --- | --- | --- | --- |\n",
    );
    for op in OPERATIONS {
        table.push_str(&format!(
            "| `{}` | {} | `{}` | {} |\n",
            op.name,
            op.commands()
                .map(|c| format!("`codebench {c}`"))
                .collect::<Vec<_>>()
                .join(", "),
            op.name,
            op.summary.trim()
        ));
    }
    Contract {
        clashes: c.clashes.clone(),
        types,
        commands: out,
        table,
    }
}

/// The README's markers around the generated table.
pub const TABLE_BEGIN: &str = "<!-- operations:begin (generated by codebench::api::contract) -->";
/// See [`TABLE_BEGIN`].
pub const TABLE_END: &str = "<!-- operations:end -->";

#[cfg(test)]
mod tests {
    use super::*;

    fn root() -> std::path::PathBuf {
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
    }

    /// The README with its table of operations replaced by `table`.
    fn readme_with(readme: &str, table: &str) -> Option<String> {
        let a = readme.find(TABLE_BEGIN)? + TABLE_BEGIN.len();
        let b = readme.find(TABLE_END)?;
        Some(format!("{}\n{}{}", &readme[..a], table, &readme[b..]))
    }

    #[test]
    fn generated_contract_is_current() {
        let c = render();
        let dir = root().join("ui/src/lib/generated");
        let readme_path = root().join("README.md");
        let readme = std::fs::read_to_string(&readme_path).unwrap();
        let new_readme =
            readme_with(&readme, &c.table).expect("README.md has the operations markers");
        if std::env::var_os("CODEBENCH_WRITE_CONTRACT").is_some() {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(dir.join("types.ts"), &c.types).unwrap();
            std::fs::write(dir.join("commands.ts"), &c.commands).unwrap();
            std::fs::write(&readme_path, &new_readme).unwrap();
        }
        let stale = |what: &str| {
            format!("{what} is not what the Rust types generate: run `CODEBENCH_WRITE_CONTRACT=1 cargo test -p codebench contract` and commit the result")
        };
        assert!(
            std::fs::read_to_string(dir.join("types.ts")).unwrap_or_default() == c.types,
            "{}",
            stale("ui/src/lib/generated/types.ts")
        );
        assert!(
            std::fs::read_to_string(dir.join("commands.ts")).unwrap_or_default() == c.commands,
            "{}",
            stale("ui/src/lib/generated/commands.ts")
        );
        assert!(
            readme == new_readme,
            "{}",
            stale("README.md's table of operations")
        );
    }

    #[test]
    fn no_two_rust_types_share_a_typescript_name() {
        assert!(render().clashes.is_empty(), "{:?}", render().clashes);
    }

    #[test]
    fn every_operation_is_listed_once_with_a_summary() {
        let mut seen = std::collections::BTreeSet::new();
        for op in OPERATIONS {
            assert!(seen.insert(op.name), "{} listed twice", op.name);
            assert!(!op.summary.trim().is_empty(), "{} has no summary", op.name);
            assert!(!op.cli.trim().is_empty(), "{} has no CLI command", op.name);
        }
    }
}
