//! BuildKit parsing rules, one test per rule, on Dockerfiles written for the test.

use codebench_dockerfile::{analyze, Analysis, Form};

fn a(text: &str) -> Analysis {
    analyze("Dockerfile", text.as_bytes())
}

fn keywords(a: &Analysis) -> Vec<&str> {
    a.instructions.iter().map(|i| i.keyword.as_ref()).collect()
}

#[test]
fn parser_directives_only_at_the_top() {
    let x = a("# syntax=docker/dockerfile:1\n#  ESCAPE = `\n# check=skip=all\nFROM alpine\nRUN echo a `\n  b\n");
    assert_eq!(x.directives.syntax.as_deref(), Some("docker/dockerfile:1"));
    assert_eq!(x.directives.escape.as_deref(), Some("`"));
    assert_eq!(x.directives.check.as_deref(), Some("skip=all"));
    assert_eq!(x.instructions[1].args, vec!["echo a   b"]);
    assert_eq!(x.comment_lines, 3);
    assert!(x.errors.is_empty(), "{:?}", x.errors);

    // A plain comment ends the directives: the escape below is only a comment.
    let y = a("# hello\n# escape=`\nFROM alpine\nRUN echo a \\\n b\n");
    assert_eq!(y.directives.escape, None);
    assert_eq!(y.instructions[1].args, vec!["echo a  b"]);
    // So does an empty line.
    let z = a("\n# escape=`\nFROM alpine\n");
    assert_eq!(z.directives.escape, None);
    // An unknown directive-looking comment ends them too.
    let w = a("# foo=bar\n# syntax=x\nFROM alpine\n");
    assert_eq!(w.directives.syntax, None);
    // Twice the same directive is an error with its line.
    let d = a("# syntax=a\n# syntax=b\nFROM alpine\n");
    assert_eq!(d.errors[0].line, Some(2));
    assert!(d.errors[0].message.contains("only one syntax"));
    // A bad escape value.
    let e = a("# escape=x\nFROM alpine\n");
    assert_eq!(e.errors[0].line, Some(1));
    assert!(e.errors[0].message.contains("invalid escape"));
}

#[test]
fn bom_and_crlf() {
    let x = analyze(
        "Dockerfile",
        b"\xEF\xBB\xBF# syntax=docker/dockerfile:1\r\nFROM alpine:3.19\r\nRUN apk add \\\r\n  curl\r\n",
    );
    assert!(x.errors.is_empty(), "{:?}", x.errors);
    assert_eq!(x.directives.syntax.as_deref(), Some("docker/dockerfile:1"));
    assert_eq!(x.stages[0].base.tag.as_deref(), Some("3.19"));
    assert_eq!(x.instructions[1].args, vec!["apk add   curl"]);
    assert_eq!(x.instructions[1].end_line, 4);
    assert_eq!(x.lines, 4);
}

#[test]
fn continuations_with_whitespace_comments_and_empty_lines() {
    let text = "FROM alpine\nRUN apk add \\  \t\n    # a comment inside\n\n    git \\\n  && echo done\nUSER app\n";
    let x = a(text);
    assert_eq!(keywords(&x), ["FROM", "RUN", "USER"]);
    let run = &x.instructions[1];
    assert_eq!(run.args, vec!["apk add     git   && echo done"]);
    assert_eq!((run.line, run.end_line), (2, 6));
    assert_eq!(x.instructions[2].line, 7);
    assert_eq!(x.comment_lines, 1);
    assert_eq!(x.blank_lines, 1);
    assert_eq!(x.warnings.len(), 1, "{:?}", x.warnings);
    assert!(x.warnings[0].message.contains("empty continuation"));
    // Backtick escape.
    let y =
        a("# escape=`\nFROM mcr.microsoft.com/windows/servercore\nRUN dir c:\\ `\n  && echo hi\n");
    assert_eq!(y.instructions[1].args, vec!["dir c:\\   && echo hi"]);
    // Continuation at end of file.
    let z = a("FROM alpine\nRUN echo \\");
    assert_eq!(z.instructions[1].args, vec!["echo"]);
}

#[test]
fn flags_on_every_instruction() {
    let x = a("FROM --platform=$BUILDPLATFORM golang:1.22 AS build\n\
               RUN --mount=type=cache,target=/root/.cache --network=none go build\n\
               COPY --from=build --chown=1000:1000 --link /out /app\n\
               ADD --checksum=sha256:00 https://example.com/a.tgz /a\n\
               HEALTHCHECK --interval=5s --retries=3 CMD curl -f http://localhost/\n");
    assert!(x.errors.is_empty(), "{:?}", x.errors);
    assert_eq!(x.instructions[0].flags, vec!["--platform=$BUILDPLATFORM"]);
    assert_eq!(x.stages[0].platform.as_deref(), Some("$BUILDPLATFORM"));
    assert_eq!(
        x.instructions[1].flags,
        vec!["--mount=type=cache,target=/root/.cache", "--network=none"]
    );
    assert_eq!(x.instructions[2].flags.len(), 3);
    assert_eq!(x.instructions[2].args, vec!["/out", "/app"]);
    assert_eq!(
        x.instructions[4].flags,
        vec!["--interval=5s", "--retries=3"]
    );
    assert_eq!(
        x.instructions[4].args,
        vec!["CMD", "curl -f http://localhost/"]
    );
    // An unknown flag is an error, the instruction is still kept.
    let y = a("FROM alpine\nENV --x=1 A=b\nCOPY --nope a b\n");
    assert_eq!(y.errors.len(), 2, "{:?}", y.errors);
    assert_eq!(y.errors[0].line, Some(2));
    assert!(y.errors[1].message.contains("unknown flag: nope"));
    assert_eq!(y.instructions[1].args, vec!["A=b"]);
}

#[test]
fn json_exec_form_and_fallback() {
    let x = a("FROM alpine\n\
               RUN [\"apk\", \"add\", \"curl\"]\n\
               CMD [\"python\", \"app.py\"]\n\
               ENTRYPOINT [\"/entry\"]\n\
               SHELL [\"/bin/bash\", \"-c\"]\n\
               COPY [\"a b\", \"/dst/\"]\n\
               VOLUME [\"/data\", \"/logs\"]\n\
               ADD [\"x.tar\", \"/\"]\n\
               CMD [python app.py]\n\
               VOLUME /v1 /v2\n");
    let f: Vec<Form> = x.instructions.iter().map(|i| i.form).collect();
    assert_eq!(
        f,
        [
            Form::Shell,
            Form::Json,
            Form::Json,
            Form::Json,
            Form::Json,
            Form::Json,
            Form::Json,
            Form::Json,
            Form::Shell,
            Form::Shell
        ]
    );
    assert_eq!(x.instructions[1].args, vec!["apk", "add", "curl"]);
    assert_eq!(x.instructions[5].args, vec!["a b", "/dst/"]);
    assert_eq!(x.instructions[8].args, vec!["[python app.py]"]);
    assert_eq!(x.instructions[9].args, vec!["/v1", "/v2"]);
    assert_eq!(x.run.exec_form, 1);
    assert!(x.errors.is_empty(), "{:?}", x.errors);
    // A JSON array with a non-string is an error (BuildKit rejects it).
    let y = a("FROM alpine\nCMD [\"a\", 1]\n");
    assert_eq!(y.errors[0].line, Some(2));
    assert!(y.errors[0].message.contains("strings only"));
    // SHELL needs JSON.
    let z = a("FROM alpine\nSHELL /bin/sh -c\n");
    assert!(z.errors[0].message.contains("SHELL requires"));
}

#[test]
fn heredocs() {
    let text = "FROM alpine\n\
RUN <<EOF\n\
apk add curl\n\
echo done\n\
EOF\n\
COPY <<-\"A\" /a.txt <<'B' /b.txt\n\
\t\thello $X\n\
\tA\n\
world\n\
B\n\
RUN python3 <<PY > /out\n\
print('x')\n\
PY\n\
USER app\n";
    let x = a(text);
    assert!(x.errors.is_empty(), "{:?}", x.errors);
    assert_eq!(keywords(&x), ["FROM", "RUN", "COPY", "RUN", "USER"]);
    let run = &x.instructions[1];
    assert_eq!(run.form, Form::Heredoc);
    assert_eq!(run.heredocs[0].name, "EOF");
    assert_eq!(run.heredocs[0].content, "apk add curl\necho done\n");
    assert_eq!(run.heredocs[0].line, 3);
    assert_eq!((run.line, run.end_line), (2, 5));
    let copy = &x.instructions[2];
    assert_eq!(copy.heredocs.len(), 2);
    assert!(copy.heredocs[0].chomp && !copy.heredocs[0].expand);
    assert_eq!(copy.heredocs[0].content, "hello $X\n");
    assert_eq!(copy.heredocs[1].content, "world\n");
    assert_eq!(x.instructions[4].line, 14);
    // RUN <<EOF: the body is the script; RUN python3 <<PY: the command line is.
    assert_eq!(x.run_categories["Dependencies"], 1);
    assert_eq!(x.run_categories["Filesystem"], 1);
    assert_eq!(x.run_categories["Build/Execute"], 1);
    assert_eq!(x.run.heredoc, 2);
    // Not a heredoc: quoted, exec form, here-string, not its own word.
    let y = a(
        "FROM alpine\nRUN echo '<<EOF'\nRUN [\"sh\", \"<<EOF\"]\nRUN cat <<<word\nRUN cat<<EOF\n",
    );
    assert!(y.instructions.iter().all(|i| i.heredocs.is_empty()));
    assert_eq!(y.instructions.len(), 5);
}

#[test]
fn unterminated_heredoc_is_an_error_with_its_line() {
    let x = a("FROM alpine\nRUN <<EOF\necho hi\n");
    assert_eq!(x.errors.len(), 1, "{:?}", x.errors);
    assert_eq!(x.errors[0].line, Some(2));
    assert!(x.errors[0].message.contains("unterminated heredoc"));
    assert_eq!(x.instructions[1].heredocs[0].content, "echo hi\n");
    assert_eq!(x.run_categories["Filesystem"], 1);
}

#[test]
fn onbuild_wraps_an_instruction() {
    let x = a("FROM alpine\nONBUILD COPY --from=x . /app\nONBUILD RUN <<EOF\nmake\nEOF\nONBUILD ONBUILD RUN x\nONBUILD FROM y\n");
    let t = x.instructions[1].trigger.as_ref().unwrap();
    assert_eq!(t.keyword, "COPY");
    assert_eq!(t.flags, vec!["--from=x"]);
    let r = x.instructions[2].trigger.as_ref().unwrap();
    assert_eq!(r.heredocs[0].content, "make\n");
    assert_eq!(x.counts["ONBUILD"], 4);
    assert_eq!(x.errors.len(), 2, "{:?}", x.errors);
    assert_eq!(x.errors[0].line, Some(6));
    assert_eq!(x.errors[1].line, Some(7));
    // Triggers run in child builds: not counted as this file's RUN commands.
    assert_eq!(x.run.instructions, 0);
}

#[test]
fn from_forms_and_global_args() {
    let x = a("ARG BASE=python:3.11\nARG TAG\nFROM --platform=linux/amd64 ${BASE} AS Builder\nFROM builder\nFROM ubuntu:22.04 as final\nFROM a b\nFROM a AS 1x\n");
    assert_eq!(x.global_args.len(), 2);
    assert_eq!(x.global_args[0].default.as_deref(), Some("python:3.11"));
    assert_eq!(x.global_args[1].default, None);
    assert_eq!(x.stages[0].name.as_deref(), Some("builder"));
    assert_eq!(x.stages[0].platform.as_deref(), Some("linux/amd64"));
    assert_eq!(x.stages[1].base.stage, Some(0));
    assert_eq!(x.stages[2].name.as_deref(), Some("final"));
    assert!(!x.partial);
    assert_eq!(x.errors.len(), 2, "{:?}", x.errors);
    assert_eq!(x.errors[0].line, Some(6));
    assert_eq!(x.errors[1].line, Some(7));
}

#[test]
fn every_instruction_is_recognised() {
    let x = a("FROM alpine\nMAINTAINER Jane <j@example.com>\nLABEL a=b \"c d\"=e\nENV OLD form value\nENV A=1 B=\"two words\"\n\
               EXPOSE 80 443/tcp\nWORKDIR /app\nUSER 1000\nVOLUME /data\nSTOPSIGNAL SIGTERM\nHEALTHCHECK NONE\n\
               SHELL [\"/bin/sh\",\"-c\"]\nARG X=1\nENTRYPOINT [\"x\"]\nCMD x\nADD a.tar.gz /\nCOPY . /\nRUN true\nONBUILD RUN x\n");
    assert!(x.errors.is_empty(), "{:?}", x.errors);
    assert_eq!(x.counts.len(), 18);
    assert_eq!(x.counts.values().sum::<u32>(), 19);
    assert_eq!(x.instructions[3].args, vec!["OLD=form value"]);
    assert_eq!(x.instructions[4].args, vec!["A=1", "B=\"two words\""]);
    assert_eq!(x.instructions[2].args, vec!["a=b", "\"c d\"=e"]);
    assert_eq!(x.instructions[1].args, vec!["Jane <j@example.com>"]);
}

#[test]
fn unknown_instruction_is_an_error_and_parsing_goes_on() {
    let x = a("FROM alpine\nFOO bar\n{{ template }}\nRUN echo ok\n");
    assert_eq!(keywords(&x), ["FROM", "FOO", "{{", "RUN"]);
    assert_eq!(x.errors.len(), 2);
    assert_eq!(x.errors[0].line, Some(2));
    assert!(x.errors[0].message.contains("unknown instruction: FOO"));
    assert_eq!(x.errors[1].line, Some(3));
    assert_eq!(x.unknown_instructions, 2);
    assert_eq!(x.run_categories["Filesystem"], 1);
}

#[test]
fn empty_and_comment_only_files() {
    for text in ["", "\n\n", "# just a comment\n\n# another\n"] {
        let x = a(text);
        assert_eq!(x.errors.len(), 1, "{text:?}: {:?}", x.errors);
        assert!(x.errors[0].message.contains("no instructions"));
        assert!(x.errors[0].line.is_some());
        assert!(x.instructions.is_empty());
    }
}

#[test]
fn partial_dockerfiles_are_analysed_and_flagged() {
    let x = a("RUN apt-get update && apt-get install -y curl\nENV A=1\n");
    assert!(x.partial);
    assert!(x.errors.is_empty());
    assert!(x.warnings[0].message.contains("no FROM"));
    assert_eq!(x.run_categories["Dependencies"], 2);
    assert!(x.stages.is_empty());
    let y = a("ARG V=1\nRUN echo\nFROM alpine\n");
    assert!(y.partial);
    assert_eq!(y.warnings[0].line, Some(2));
    let z = a("ARG V=1\nFROM alpine\n");
    assert!(!z.partial);
}

#[test]
fn lines_and_comments_are_counted() {
    let x = a(
        "# c1\nFROM alpine\n\n  # c2\nRUN <<EOF\n# not a comment line of the Dockerfile\n\nEOF\n",
    );
    assert_eq!(x.lines, 8);
    assert_eq!(x.comment_lines, 2);
    assert_eq!(x.blank_lines, 1);
}

/// Issue 13, point 6: BuildKit's continuation regexp is `([^E])E[ \t]*$|^E[ \t]*$` (E the escape
/// character): an escaped escape character at the end of a line does not continue it.
#[test]
fn escaped_escape_at_end_of_line_ends_the_instruction() {
    let x = a("FROM alpine\nENV C a\\\\\nRUN echo hi\n");
    assert_eq!(keywords(&x), ["FROM", "ENV", "RUN"]);
    // The parser keeps escapes in ENV words as BuildKit's parseWords does (the build expands
    // them later).
    assert_eq!(x.instructions[1].args, vec!["C=a\\\\"]);
    assert_eq!((x.instructions[1].line, x.instructions[1].end_line), (2, 2));
    assert_eq!(x.instructions[2].args, vec!["echo hi"]);
    assert_eq!(x.instructions[2].line, 3);
    assert!(x.errors.is_empty(), "{:?}", x.errors);

    // Blanks after the escaped escape change nothing.
    let y = a("FROM alpine\nENV C a\\\\ \t\nRUN echo hi\n");
    assert_eq!(keywords(&y), ["FROM", "ENV", "RUN"]);

    // Three: BuildKit looks only at the one character before the marker, so this ends too.
    let z = a("FROM alpine\nRUN echo a\\\\\\\nRUN echo b\n");
    assert_eq!(keywords(&z), ["FROM", "RUN", "RUN"]);
    assert_eq!(z.instructions[1].args, vec!["echo a\\\\\\"]);

    // A single escape still continues, also after a space and after another character.
    let w = a("FROM alpine\nRUN echo a \\\n b\\\nc\n");
    assert_eq!(keywords(&w), ["FROM", "RUN"]);
    assert_eq!(w.instructions[1].args, vec!["echo a  bc"]);

    // In a continued instruction, the escaped escape on a later line ends it there.
    let v = a("FROM alpine\nRUN echo a \\\n  b\\\\\nUSER app\n");
    assert_eq!(keywords(&v), ["FROM", "RUN", "USER"]);
    assert_eq!(v.instructions[1].args, vec!["echo a   b\\\\"]);
    assert_eq!(v.instructions[1].end_line, 3);
    assert_eq!(v.instructions[2].line, 4);

    // A continuation line that is only the marker continues (the `^E[ \t]*$` branch); one that
    // is only an escaped escape ends the instruction.
    let u = a("FROM alpine\nRUN echo a \\\n\\\n b\n");
    assert_eq!(keywords(&u), ["FROM", "RUN"]);
    assert_eq!(u.instructions[1].args, vec!["echo a  b"]);
    let t = a("FROM alpine\nRUN echo a \\\n\\\\\nUSER app\n");
    assert_eq!(keywords(&t), ["FROM", "RUN", "USER"]);
    assert_eq!(t.instructions[1].args, vec!["echo a \\\\"]);
}

#[test]
fn escaped_escape_with_crlf_line_endings() {
    let x = analyze(
        "Dockerfile",
        b"FROM alpine\r\nENV C a\\\\\r\nRUN echo hi\r\nRUN apk add \\\r\n  curl\r\n",
    );
    assert_eq!(keywords(&x), ["FROM", "ENV", "RUN", "RUN"]);
    assert_eq!(x.instructions[1].args, vec!["C=a\\\\"]);
    assert_eq!(x.instructions[2].args, vec!["echo hi"]);
    assert_eq!(x.instructions[3].args, vec!["apk add   curl"]);
    assert!(x.errors.is_empty(), "{:?}", x.errors);
}

#[test]
fn escaped_backtick_escape_ends_the_instruction() {
    let x = a("# escape=`\nFROM alpine\nENV C a``\nRUN echo hi `\n  there\nUSER app\n");
    assert_eq!(keywords(&x), ["FROM", "ENV", "RUN", "USER"]);
    assert_eq!(x.instructions[1].args, vec!["C=a``"]);
    assert_eq!(x.instructions[2].args, vec!["echo hi   there"]);
    assert_eq!(x.instructions[3].line, 6);
    assert!(x.errors.is_empty(), "{:?}", x.errors);
    // With the backtick escape, a trailing `\\` is plain text and `\` does not continue.
    let y = a("# escape=`\nFROM alpine\nWORKDIR c:\\\nUSER app\n");
    assert_eq!(keywords(&y), ["FROM", "WORKDIR", "USER"]);
    assert_eq!(y.instructions[1].args, vec!["c:\\"]);
    // CRLF with the backtick escape.
    let z = analyze(
        "Dockerfile",
        b"# escape=`\r\nFROM alpine\r\nENV C a``\r\nRUN echo `\r\n  hi\r\n",
    );
    assert_eq!(keywords(&z), ["FROM", "ENV", "RUN"]);
    assert_eq!(z.instructions[1].args, vec!["C=a``"]);
    assert_eq!(z.instructions[2].args, vec!["echo   hi"]);
}
