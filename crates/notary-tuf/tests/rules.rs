//! One accepting and one rejecting test per verification rule.
