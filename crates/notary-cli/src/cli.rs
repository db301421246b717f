//! The command line: Go notary 0.7's commands, flags and short options (client.md §6), so that
//! scripts written for the Go CLI work unchanged. Flags may come anywhere on the line, list flags
//! take comma-separated values and repeat, as with cobra.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand};

/// notary: sign and verify trusted collections (Notary 0.7 compatible).
#[derive(Debug, Parser)]
#[command(
    name = "notary",
    about = "Notary allows the creation and management of collections of signed targets, allowing the signing and validation of arbitrary content.",
    disable_version_flag = true
)]
pub(crate) struct Cli {
    #[command(flatten)]
    pub(crate) global: GlobalArgs,
    #[command(subcommand)]
    pub(crate) command: Option<Command>,
}

/// Flags every command accepts.
#[derive(Debug, Args)]
pub(crate) struct GlobalArgs {
    /// Path to the configuration file to use
    #[arg(short = 'c', long = "configFile", global = true)]
    pub(crate) config_file: Option<PathBuf>,
    /// Debug output
    #[arg(short = 'D', long = "debug", global = true)]
    pub(crate) debug: bool,
    /// Remote trust server location
    #[arg(short = 's', long = "server", global = true)]
    pub(crate) server: Option<String>,
    /// Trust certs signed only by this CA
    #[arg(long = "tlscacert", global = true)]
    pub(crate) tls_ca_cert: Option<PathBuf>,
    /// Path to TLS certificate file
    #[arg(long = "tlscert", global = true)]
    pub(crate) tls_cert: Option<PathBuf>,
    /// Path to TLS key file
    #[arg(long = "tlskey", global = true)]
    pub(crate) tls_key: Option<PathBuf>,
    /// Directory where the trust data is persisted to
    #[arg(short = 'd', long = "trustDir", global = true)]
    pub(crate) trust_dir: Option<PathBuf>,
    /// Verbose output
    #[arg(short = 'v', long = "verbose", global = true)]
    pub(crate) verbose: bool,
    /// Print the version number of notary
    #[arg(long = "version")]
    pub(crate) version: bool,
}

/// The commands.
#[derive(Debug, Subcommand)]
pub(crate) enum Command {
    /// Adds the file as a target to the trusted collection.
    Add(AddArgs),
    /// Adds the byte size and hash(es) as a target to the trusted collection.
    Addhash(AddHashArgs),
    /// Operates on delegations.
    #[command(subcommand)]
    Delegation(DelegationCommand),
    /// Deletes all content for a trusted collection
    Delete(DeleteArgs),
    /// Initializes a local trusted collection.
    Init(InitArgs),
    /// Operates on keys.
    #[command(subcommand)]
    Key(KeyCommand),
    /// Lists targets for a remote trusted collection.
    List(ListArgs),
    /// Looks up a specific target in a remote trusted collection.
    Lookup(LookupArgs),
    /// Publishes the local trusted collection.
    Publish(GunArg),
    /// Removes a target from a trusted collection.
    Remove(RemoveArgs),
    /// Resets unpublished changes for the local trusted collection.
    Reset(ResetArgs),
    /// Displays status of unpublished changes to the local trusted collection.
    Status(GunArg),
    /// Verifies if the content is included in the remote trusted collection
    Verify(VerifyArgs),
    /// Print the version number of notary
    Version,
    /// Marks roles to be re-signed the next time they're published
    Witness(WitnessArgs),
}

/// `<gun>` alone.
#[derive(Debug, Args)]
pub(crate) struct GunArg {
    /// The globally unique name of the collection
    pub(crate) gun: String,
}

/// `-p/--publish`.
#[derive(Debug, Args)]
pub(crate) struct PublishFlag {
    /// Automatically attempt to publish after staging the change. Will also publish existing staged changes.
    #[arg(short = 'p', long = "publish")]
    pub(crate) publish: bool,
}

/// `init`.
#[derive(Debug, Args)]
pub(crate) struct InitArgs {
    /// The globally unique name of the collection
    pub(crate) gun: String,
    /// Root key to initialize the repository with
    #[arg(long = "rootkey")]
    pub(crate) root_key: Option<PathBuf>,
    /// Root certificate must match root key if a root key is supplied, otherwise it must match a key present in keystore
    #[arg(long = "rootcert")]
    pub(crate) root_cert: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) publish: PublishFlag,
}

/// `add`.
#[derive(Debug, Args)]
pub(crate) struct AddArgs {
    /// The collection
    pub(crate) gun: String,
    /// The target name
    pub(crate) target: String,
    /// The file to add
    pub(crate) file: PathBuf,
    /// Delegation roles to add this target to
    #[arg(short = 'r', long = "roles", value_delimiter = ',')]
    pub(crate) roles: Vec<String>,
    /// Path to the file containing custom data for this target
    #[arg(long = "custom")]
    pub(crate) custom: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) publish: PublishFlag,
}

/// `addhash`.
#[derive(Debug, Args)]
pub(crate) struct AddHashArgs {
    /// The collection
    pub(crate) gun: String,
    /// The target name
    pub(crate) target: String,
    /// The size in bytes
    pub(crate) size: String,
    /// hex encoded sha256 of the target to add
    #[arg(long = "sha256")]
    pub(crate) sha256: Option<String>,
    /// hex encoded sha512 of the target to add
    #[arg(long = "sha512")]
    pub(crate) sha512: Option<String>,
    /// Delegation roles to add this target to
    #[arg(short = 'r', long = "roles", value_delimiter = ',')]
    pub(crate) roles: Vec<String>,
    /// Path to the file containing custom data for this target
    #[arg(long = "custom")]
    pub(crate) custom: Option<PathBuf>,
    #[command(flatten)]
    pub(crate) publish: PublishFlag,
}

/// `remove`.
#[derive(Debug, Args)]
pub(crate) struct RemoveArgs {
    /// The collection
    pub(crate) gun: String,
    /// The target name
    pub(crate) target: String,
    /// Delegation roles to remove this target from
    #[arg(short = 'r', long = "roles", value_delimiter = ',')]
    pub(crate) roles: Vec<String>,
    #[command(flatten)]
    pub(crate) publish: PublishFlag,
}

/// `list`.
#[derive(Debug, Args)]
pub(crate) struct ListArgs {
    /// The collection
    pub(crate) gun: String,
    /// Delegation roles to list targets for (will shadow targets role)
    #[arg(short = 'r', long = "roles", value_delimiter = ',')]
    pub(crate) roles: Vec<String>,
}

/// `lookup`.
#[derive(Debug, Args)]
pub(crate) struct LookupArgs {
    /// The collection
    pub(crate) gun: String,
    /// The target name
    pub(crate) target: String,
}

/// `verify`.
#[derive(Debug, Args)]
pub(crate) struct VerifyArgs {
    /// The collection
    pub(crate) gun: String,
    /// The target name
    pub(crate) target: String,
    /// Read from a file, instead of STDIN
    #[arg(short = 'i', long = "input")]
    pub(crate) input: Option<PathBuf>,
    /// Write to a file, instead of STDOUT
    #[arg(short = 'o', long = "output")]
    pub(crate) output: Option<PathBuf>,
    /// No output except for errors
    #[arg(short = 'q', long = "quiet")]
    pub(crate) quiet: bool,
}

/// `reset`.
#[derive(Debug, Args)]
pub(crate) struct ResetArgs {
    /// The collection
    pub(crate) gun: String,
    /// Numbers of specific changes to exclusively reset, as shown in status list
    #[arg(short = 'n', long = "number", value_delimiter = ',')]
    pub(crate) number: Vec<i64>,
    /// Reset all changes shown in the status list
    #[arg(long = "all")]
    pub(crate) all: bool,
}

/// `delete`.
#[derive(Debug, Args)]
pub(crate) struct DeleteArgs {
    /// The collection
    pub(crate) gun: String,
    /// Delete remote data for GUN in addition to local cache. Admin scope permission is required.
    #[arg(long = "remote")]
    pub(crate) remote: bool,
}

/// `witness`.
#[derive(Debug, Args)]
pub(crate) struct WitnessArgs {
    /// The collection
    pub(crate) gun: String,
    /// Roles to witness
    #[arg(required = true)]
    pub(crate) roles: Vec<String>,
    #[command(flatten)]
    pub(crate) publish: PublishFlag,
}

/// `key …`.
#[derive(Debug, Subcommand)]
pub(crate) enum KeyCommand {
    /// Lists keys.
    List,
    /// Generates a new key for a specific GUN and role.
    Generate(KeyGenerateArgs),
    /// Rotate a signing (non-root) key of the given type for the given Globally Unique Name and role.
    Rotate(KeyRotateArgs),
    /// Imports all keys from the specified files.
    Import(KeyImportArgs),
    /// Exports all keys from all local keystores.
    Export(KeyExportArgs),
    /// Removes the key with the given keyID.
    Remove(KeyIdArg),
    /// Changes the passphrase for the key with the given keyID.
    Passwd(KeyIdArg),
}

/// `key generate`.
#[derive(Debug, Args)]
pub(crate) struct KeyGenerateArgs {
    /// Algorithm (only ecdsa)
    pub(crate) algorithm: Option<String>,
    /// Role to generate key with, defaulting to "root".
    #[arg(short = 'r', long = "role", default_value = "root")]
    pub(crate) role: String,
    /// Filepath to write export output to
    #[arg(short = 'o', long = "output")]
    pub(crate) output: Option<PathBuf>,
}

/// `key rotate`.
#[derive(Debug, Args)]
pub(crate) struct KeyRotateArgs {
    /// The collection
    pub(crate) gun: String,
    /// The role
    pub(crate) role: String,
    /// Signing and key management will be handled by the remote server (no key will be generated or stored locally). Required for timestamp role, optional for snapshot role
    #[arg(short = 'r', long = "server-managed")]
    pub(crate) server_managed: bool,
    /// New key(s) to rotate to. If not specified, one will be generated.
    #[arg(short = 'k', long = "key", value_delimiter = ',')]
    pub(crate) keys: Vec<PathBuf>,
    /// Number of old version's root roles to sign with to support old clients
    #[arg(short = 'l', long = "legacy", default_value_t = 0, allow_negative_numbers = true)]
    pub(crate) legacy: i64,
}

/// `key import`.
#[derive(Debug, Args)]
pub(crate) struct KeyImportArgs {
    /// Files to import
    #[arg(required = true)]
    pub(crate) files: Vec<PathBuf>,
    /// Role to import key with, if a role is not already given in a PEM header
    #[arg(short = 'r', long = "role")]
    pub(crate) role: Option<String>,
    /// Gun to import key with, if a gun is not already given in a PEM header
    #[arg(short = 'g', long = "gun")]
    pub(crate) gun: Option<String>,
}

/// `key export`.
#[derive(Debug, Args)]
pub(crate) struct KeyExportArgs {
    /// Key IDs to export
    #[arg(long = "key", value_delimiter = ',')]
    pub(crate) keys: Vec<String>,
    /// GUNs for which to export keys
    #[arg(long = "gun", value_delimiter = ',')]
    pub(crate) guns: Vec<String>,
    /// Filepath to write export output to
    #[arg(short = 'o', long = "output")]
    pub(crate) output: Option<PathBuf>,
}

/// `<keyID>`.
#[derive(Debug, Args)]
pub(crate) struct KeyIdArg {
    /// The key ID
    pub(crate) key_id: String,
}

/// `delegation …`.
#[derive(Debug, Subcommand)]
pub(crate) enum DelegationCommand {
    /// Lists delegations for the Global Unique Name.
    List(GunArg),
    /// Add a keys to delegation using the provided public key X509 certificates.
    Add(DelegationAddArgs),
    /// Remove KeyID(s) from the specified Role delegation.
    Remove(DelegationRemoveArgs),
    /// Remove KeyID(s) from all delegation roles in the given GUN.
    Purge(DelegationPurgeArgs),
}

/// `delegation add`.
#[derive(Debug, Args)]
pub(crate) struct DelegationAddArgs {
    /// The collection
    pub(crate) gun: String,
    /// The delegation role
    pub(crate) role: String,
    /// PEM files (certificates or public keys)
    pub(crate) pem_files: Vec<PathBuf>,
    /// List of paths to add
    #[arg(long = "paths", value_delimiter = ',')]
    pub(crate) paths: Vec<String>,
    /// Add all paths to this delegation
    #[arg(long = "all-paths")]
    pub(crate) all_paths: bool,
    #[command(flatten)]
    pub(crate) publish: PublishFlag,
}

/// `delegation remove`.
#[derive(Debug, Args)]
pub(crate) struct DelegationRemoveArgs {
    /// The collection
    pub(crate) gun: String,
    /// The delegation role
    pub(crate) role: String,
    /// Key IDs to remove
    pub(crate) key_ids: Vec<String>,
    /// List of paths to remove
    #[arg(long = "paths", value_delimiter = ',')]
    pub(crate) paths: Vec<String>,
    /// Remove all paths from this delegation
    #[arg(long = "all-paths")]
    pub(crate) all_paths: bool,
    /// Answer yes to the removal question (no confirmation)
    #[arg(short = 'y', long = "yes")]
    pub(crate) yes: bool,
    #[command(flatten)]
    pub(crate) publish: PublishFlag,
}

/// `delegation purge`.
#[derive(Debug, Args)]
pub(crate) struct DelegationPurgeArgs {
    /// The collection
    pub(crate) gun: String,
    /// Delegation key IDs to be removed from the GUN
    #[arg(long = "key", value_delimiter = ',', required = true)]
    pub(crate) keys: Vec<String>,
    #[command(flatten)]
    pub(crate) publish: PublishFlag,
}
