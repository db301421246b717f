//! The server's upload rules (server-behaviour.md §2), each with its Go error kind and message.
