# Reads every exported CSV back with readr using the types of the data dictionary, and fails with
# file, row and column when a value does not parse as documented (readr's problems()).
#   Rscript check.R TYPES.csv DIR...
suppressPackageStartupMessages(library(readr))
args <- commandArgs(trailingOnly = TRUE)
types <- read_csv(args[1], col_types = "ccc")
spec_of <- function(kind) switch(kind,
  text = col_character(), integer = col_integer(), number = col_double(),
  boolean = col_logical(), time = col_datetime(format = ""))
# Cells a spreadsheet would run as formulas are written with a leading ' (exports/README.md);
# reading back takes it away. The sample's hostile Dockerfile sets this user.
formula <- "^[=+@\t\r-]"
is_number <- function(x) !is.na(suppressWarnings(as.numeric(x))) & !grepl("_", x, fixed = TRUE)
needs_quote <- function(x) grepl(formula, sub("^'+", "", x)) & !is_number(x)
unquote <- function(x) ifelse(!is.na(x) & startsWith(x, "'") & needs_quote(substring(x, 2)), substring(x, 2), x)
hostile_user <- '=HYPERLINK("https://example.invalid/x","click")'
problems_all <- character(0)
files <- 0; rows <- 0
for (dir in args[-1]) {
  for (f in sort(list.files(dir, pattern = "\\.csv$"))) {
    doc <- types[types$file == f, ]
    if (nrow(doc) == 0) { problems_all <- c(problems_all, paste0(dir, "/", f, ": not documented")); next }
    path <- file.path(dir, f)
    header <- names(read_csv(path, n_max = 0, col_types = cols(.default = col_character())))
    fixed <- doc$column[doc$column != "*rater*"]
    if (!identical(header[seq_along(fixed)], fixed) || (!("*rater*" %in% doc$column) && length(header) != length(fixed))) {
      problems_all <- c(problems_all, paste0(path, ": header ", paste(header, collapse = ","), " is not the documented one"))
      next
    }
    spec <- lapply(doc$type[doc$column != "*rater*"], spec_of)
    names(spec) <- fixed
    extra <- setdiff(header, fixed)
    for (h in extra) spec[[h]] <- col_character()
    data <- suppressWarnings(read_csv(path, col_types = do.call(cols, spec), na = "", progress = FALSE))
    p <- problems(data)
    if (nrow(p) > 0) {
      for (i in seq_len(min(3, nrow(p)))) {
        problems_all <- c(problems_all, sprintf("%s:%d: %s: '%s' is not %s", path, p$row[i] + 1,
          header[p$col[i]], p$actual[i], p$expected[i]))
      }
    }
    for (col in names(data)) {
      v <- data[[col]]
      if (is.character(v)) {
        bad <- which(!is.na(v) & grepl(formula, v) & !is_number(v))
        for (i in head(bad, 3)) problems_all <- c(problems_all, sprintf("%s:%d: %s: '%s' would run as a formula", path, i + 1, col, v[i]))
      }
    }
    if (f == "dockerfiles.csv") {
      u <- unquote(data$user[data$unit == "hostile-demo/readme-payloads:Dockerfile"])
      if (length(u) == 1 && !identical(u, hostile_user)) problems_all <- c(problems_all, sprintf("%s: the hostile user reads back as %s", path, u))
    }
    files <- files + 1; rows <- rows + nrow(data)
  }
}
if (length(problems_all) > 0) { writeLines(problems_all, stderr()); quit(status = 1) }
cat(sprintf("readr %s: %d files, %d rows read back with their documented types\n", packageVersion("readr"), files, rows))
