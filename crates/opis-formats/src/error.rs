//! The one error type of the readers: the file is not something a reader can read.

use std::path::PathBuf;

/// Why a file could not be read at all. Oddities inside a readable file are
/// [`opis_model::Diagnostic`]s on the document instead.
#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("{path}: cannot read the file: {source}")]
    Io {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("{path}: the file is empty; expected a document")]
    Empty { path: PathBuf },
    #[error("{path}: this is a binary file (a NUL byte at byte offset {offset}); expected text or XML")]
    Binary { path: PathBuf, offset: usize },
    #[error("{path}:{line}: {message}")]
    Malformed { path: PathBuf, line: u32, message: String },
    #[error("{path}: not a document opis can read: {reason}")]
    Unrecognized { path: PathBuf, reason: String },
}

impl FormatError {
    pub fn malformed(path: &std::path::Path, line: u32, message: impl Into<String>) -> Self {
        FormatError::Malformed { path: path.to_owned(), line, message: message.into() }
    }
}

/// The readers' result type.
pub type Result<T, E = FormatError> = std::result::Result<T, E>;
