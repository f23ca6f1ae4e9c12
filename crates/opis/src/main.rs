//! The `opis` command line. A thin layer: it parses arguments, calls the library
//! crates, and prints. Today: `opis parse`.

mod outline;

use std::io::{BufWriter, Write};
use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand, ValueEnum};
use opis_formats::{Reader, parse_file};
use opis_model::Severity;

#[derive(Parser)]
#[command(name = "opis", version, about = "A self-hosted archive engine for primary-source documents")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Parse a file and print the documents it holds; nothing is stored.
    Parse {
        /// The file to read (a Wilson Center record, CSV or JSON Lines export, or API JSON).
        file: PathBuf,
        /// What to print: the model as JSON (JSON Lines for several documents), TEI P5 (one
        /// file per document; several are separated by a blank line), or a readable outline.
        #[arg(long, value_enum, default_value_t = OutputFormat::Json)]
        format: OutputFormat,
        /// Force a reader instead of detecting one: record, wilson-csv, wilson-jsonl, wilson-api.
        #[arg(long, value_parser = parse_reader)]
        reader: Option<Reader>,
        /// Say which reader was picked.
        #[arg(long, short)]
        verbose: bool,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum OutputFormat {
    Json,
    Tei,
    Text,
}

fn parse_reader(name: &str) -> Result<Reader, String> {
    Reader::from_name(name).ok_or_else(|| {
        let names: Vec<&str> = Reader::ALL.iter().map(|r| r.name()).collect();
        format!("unknown reader {name:?}; expected one of {}", names.join(", "))
    })
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::from(1)
        }
    }
}

fn run(cli: Cli) -> Result<()> {
    match cli.command {
        Command::Parse { file, format, reader, verbose } => {
            let parsed = parse_file(&file, reader)?;
            if verbose {
                eprintln!("{}: read with the {} reader", file.display(), parsed.reader);
            }
            let stdout = std::io::stdout();
            let mut out = BufWriter::new(stdout.lock());
            for doc in &parsed.documents {
                for d in &doc.diagnostics {
                    let level = match d.severity {
                        Severity::Info => "info",
                        Severity::Warning => "warning",
                    };
                    let at = d.line.map(|l| format!(":{l}")).unwrap_or_default();
                    eprintln!("{}{at}: {level}[{}]: {} ({})", file.display(), d.code, d.message, doc.id);
                }
                match format {
                    OutputFormat::Json => {
                        serde_json::to_writer(&mut out, doc).context("writing JSON")?;
                        writeln!(out)?;
                    }
                    OutputFormat::Tei => {
                        out.write_all(opis_formats::tei::write_tei(doc).as_bytes())?;
                        writeln!(out)?;
                    }
                    OutputFormat::Text => {
                        outline::write_outline(&mut out, doc)?;
                        writeln!(out)?;
                    }
                }
            }
            out.flush()?;
            Ok(())
        }
    }
}
