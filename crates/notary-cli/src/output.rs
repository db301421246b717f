//! Tables laid out byte for byte as Go notary prints them (Go's `text/tabwriter` with minimum
//! cell width 4, padding 4, space padding): scripts cut columns out of this output.

/// A table: a header row, a row of dashes as long as each header, then the rows.
pub(crate) struct Table {
    header: Vec<String>,
    rows: Vec<Vec<String>>,
}

impl Table {
    /// A table with these column headers.
    pub(crate) fn new(header: &[&str]) -> Table {
        Table {
            header: header.iter().map(|h| (*h).to_owned()).collect(),
            rows: Vec::new(),
        }
    }

    /// Appends a row (as many cells as headers).
    pub(crate) fn row(&mut self, cells: Vec<String>) {
        self.rows.push(cells);
    }

    /// The table text: each column but the last as wide as its widest cell (in characters) plus
    /// 4 spaces; every line ends with `\n`.
    pub(crate) fn render(&self) -> String {
        let dashes: Vec<String> = self.header.iter().map(|h| "-".repeat(h.chars().count())).collect();
        let lines: Vec<&Vec<String>> = [&self.header, &dashes].into_iter().chain(self.rows.iter()).collect();
        let columns = self.header.len();
        let mut widths = vec![0usize; columns];
        for line in &lines {
            for (i, cell) in line.iter().enumerate().take(columns.saturating_sub(1)) {
                widths[i] = widths[i].max(cell.chars().count());
            }
        }
        let mut out = String::new();
        for line in lines {
            for (i, cell) in line.iter().enumerate() {
                out.push_str(cell);
                if i + 1 < columns {
                    let width = (widths[i] + PADDING).max(MIN_WIDTH);
                    out.extend(std::iter::repeat_n(' ', width - cell.chars().count()));
                }
            }
            out.push('\n');
        }
        out
    }
}

const PADDING: usize = 4;
const MIN_WIDTH: usize = 4;

/// Streams a table without holding it: `widths` are the widest cell of each column (headers
/// included, in characters), computed by the caller in a first pass.
pub(crate) struct TableWriter<W: std::io::Write> {
    out: W,
    widths: Vec<usize>,
}

impl<W: std::io::Write> TableWriter<W> {
    /// Writes the header and dashes rows.
    pub(crate) fn new(mut out: W, header: &[&str], widths: &[usize]) -> std::io::Result<Self> {
        let widths: Vec<usize> = widths
            .iter()
            .zip(header)
            .map(|(w, h)| (*w).max(h.chars().count()))
            .collect();
        let dashes: Vec<String> = header.iter().map(|h| "-".repeat(h.chars().count())).collect();
        let mut writer = TableWriter { out: &mut out, widths };
        writer.row(header)?;
        writer.row(&dashes.iter().map(String::as_str).collect::<Vec<_>>())?;
        let widths = writer.widths;
        Ok(TableWriter { out, widths })
    }

    /// Writes one row.
    pub(crate) fn row(&mut self, cells: &[&str]) -> std::io::Result<()> {
        let last = cells.len().saturating_sub(1);
        for (i, cell) in cells.iter().enumerate() {
            self.out.write_all(cell.as_bytes())?;
            if i < last {
                let width = (self.widths.get(i).copied().unwrap_or(0) + PADDING).max(MIN_WIDTH);
                let pad = width.saturating_sub(cell.chars().count());
                self.out.write_all(&SPACES.as_bytes()[..pad.min(SPACES.len())])?;
                if pad > SPACES.len() {
                    self.out.write_all(" ".repeat(pad - SPACES.len()).as_bytes())?;
                }
            }
        }
        self.out.write_all(b"\n")
    }

    /// Flushes and returns the output.
    pub(crate) fn finish(mut self) -> std::io::Result<W> {
        self.out.flush()?;
        Ok(self.out)
    }
}

const SPACES: &str = "                                                                                ";

/// Go's left truncation for `key list`: at most `max` characters, `...` + the tail.
pub(crate) fn truncate_left(text: &str, max: usize) -> String {
    let count = text.chars().count();
    if count <= max {
        return text.to_owned();
    }
    let tail: String = text.chars().skip(count - (max - 3)).collect();
    format!("...{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn list_table_matches_go_byte_for_byte() {
        // Captured from Go notary 0.7.0 `notary list`.
        let mut t = Table::new(&["NAME", "DIGEST", "SIZE (BYTES)", "ROLE"]);
        t.row(vec![
            "t1".into(),
            "98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4".into(),
            "3".into(),
            "targets".into(),
        ]);
        let expected = "NAME    DIGEST                                                              SIZE (BYTES)    ROLE\n\
                        ----    ------                                                              ------------    ----\n\
                        t1      98ea6e4f216f2fb4b69fff9b3a44842c38686ca685f3f55dc48c5d3fb1107be4    3               targets\n";
        assert_eq!(t.render(), expected);
    }

    #[test]
    fn narrow_columns_get_the_minimum_width() {
        let mut t = Table::new(&["#", "ACTION"]);
        t.row(vec!["0".into(), "create".into()]);
        assert_eq!(t.render(), "#    ACTION\n-    ------\n0    create\n");
    }

    #[test]
    fn truncation_keeps_the_tail() {
        assert_eq!(truncate_left("short", 25), "short");
        let long = "interop.test/cli-1700000000-12345/app";
        let cut = truncate_left(long, 25);
        assert_eq!(cut.chars().count(), 25);
        assert!(cut.starts_with("...") && long.ends_with(&cut[3..]));
    }
}
