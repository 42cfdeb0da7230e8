//! Prints an agreement report for ratings given as JSON on stdin.
//!
//! `cargo run -p codebench-agreement --example report -- [table|csv|json] < ratings.json`
//! where `ratings.json` is a serialized `codebench_agreement::Ratings`.

use std::io::Read;

use codebench_agreement::{report, to_csv, to_json, to_table, Options, Ratings};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let format = std::env::args().nth(1).unwrap_or_else(|| "table".into());
    let mut input = String::new();
    std::io::stdin().read_to_string(&mut input)?;
    let ratings: Ratings = serde_json::from_str(&input)?;
    let r = report(&ratings, &Options::default())?;
    let out = match format.as_str() {
        "table" => to_table(&r),
        "csv" => to_csv(&r),
        "json" => to_json(&r),
        other => return Err(format!("unknown format {other:?}: use table, csv or json").into()),
    };
    print!("{out}");
    Ok(())
}
