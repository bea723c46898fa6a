//! Lantern's own source, packed into the binary at build time (`build.rs`) and offered at `/source` to everyone who
//! uses Lantern over the network, as the GNU AGPL 3.0 asks (section 13). Because it is the tree the binary was built
//! from, a modified Lantern offers its modified source without anyone having to remember to publish it.

/// The gzipped tar of the source, under `lantern-VERSION/`.
pub static ARCHIVE: &[u8] = include_bytes!(concat!(env!("OUT_DIR"), "/source.tar.gz"));

/// The archive, as the web layer serves it.
pub fn archive() -> lantern_web::SourceArchive {
    lantern_web::SourceArchive {
        bytes: ARCHIVE,
        file_name: concat!("lantern-", env!("CARGO_PKG_VERSION"), "-source.tar.gz"),
    }
}
