//! Why a field was refused: one error type for every rule, said without echoing the value.

/// Why a value was refused. Messages never repeat the value itself.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FieldError {
    #[error("must not be empty")]
    Empty,
    #[error("must be at most {max} characters")]
    TooLong { max: usize },
    #[error("must not contain control, invisible formatting or bidirectional characters")]
    ForbiddenCharacter,
    #[error("{0}")]
    Malformed(&'static str),
    /// A required value sent as its unfilled `{{placeholder}}`: what is not set, for the author.
    #[error("is an unfilled placeholder: {0}")]
    Unfilled(&'static str),
}
