//! The client update state machine (metadata.md §12): order, hashes, rollback, delegations.
