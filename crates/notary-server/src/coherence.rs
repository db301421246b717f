//! Keeps the metadata cache coherent with a shared PostgreSQL database: one listener connection
//! per server, reconnected for as long as the server runs (protocol in [`crate::service`]).

use std::sync::Weak;
use std::time::Duration;

use notary_storage::MetadataStore;
use notary_storage::postgres::PostgresStore;

use crate::http::App;
use crate::trust::TrustService;

/// The first wait before reconnecting a lost listener; doubled up to [`MAX_RECONNECT_DELAY`].
const MIN_RECONNECT_DELAY: Duration = Duration::from_millis(100);
const MAX_RECONNECT_DELAY: Duration = Duration::from_secs(2);

/// Listens for change notifications until `app` is dropped: evicts each changed GUN, marks the
/// cache coherent while connected and incoherent from the moment the connection is lost.
pub async fn follow_changes<S: MetadataStore, T: TrustService>(store: PostgresStore, app: Weak<App<S, T>>) {
    let mut delay = MIN_RECONNECT_DELAY;
    loop {
        let listening = store.listen().await;
        let Some(connected) = app.upgrade() else { return };
        let failure = match listening {
            Ok(mut listener) => {
                // Changes committed while nobody listened were missed: start a new epoch.
                connected.service.set_cache_coherent(true);
                tracing::info!("listening for metadata changes: the cache serves reads");
                drop(connected);
                delay = MIN_RECONNECT_DELAY;
                loop {
                    let changed = |gun: &str| {
                        tracing::debug!(gun, "metadata changed");
                        if let Some(app) = app.upgrade() {
                            app.service.metadata_changed(gun);
                        }
                    };
                    if let Err(e) = listener.next(changed).await {
                        break e;
                    }
                }
            }
            Err(e) => e,
        };
        let Some(lost) = app.upgrade() else { return };
        if lost.service.cache_is_coherent() {
            tracing::warn!(error = %failure, "metadata change listener lost: reads go to the database until it reconnects");
        }
        lost.service.set_cache_coherent(false);
        drop(lost);
        tokio::time::sleep(delay).await;
        delay = (delay * 2).min(MAX_RECONNECT_DELAY);
    }
}
