//! What single sign-on may reach. An organisation admin types the issuer URL and Lantern's server fetches it, so
//! without limits an admin could make the server probe its own network (server-side request forgery, OWASP SSRF
//! Prevention Cheat Sheet). Every request to a provider goes through [`Guarded`]:
//!
//! - the host's addresses are checked where they are resolved ([`PublicOnly`], reqwest's DNS resolver), so the
//!   address actually connected to is public, whatever the name is or later resolves to (DNS rebinding); an
//!   IP-literal host, which is never resolved, is checked by [`Guarded`] itself;
//! - loopback, unspecified, private (RFC 1918), shared (CGNAT, RFC 6598), link-local, unique-local (RFC 4193),
//!   multicast, documentation, benchmarking and reserved ranges are refused, and so are the IPv6 forms that embed an
//!   IPv4 address (mapped, NAT64, 6to4) when the embedded one is, unless the platform allows private networks
//!   (`--sso-allow-private-networks`, for a provider inside the organisation's network);
//! - redirects are never followed and no proxy is used (a proxy would resolve names itself, unchecked);
//! - only `https://` (plain `http://` only in tests).
//!
//! The organisation's own CA certificates, when it has any, are trusted in addition to the public roots, in a
//! client built for that provider alone.

use openidconnect::reqwest;
use openidconnect::{AsyncHttpClient, HttpClientError, HttpRequest, HttpResponse};
use std::future::Future;
use std::net::{IpAddr, Ipv4Addr, Ipv6Addr, SocketAddr};
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

/// Which providers the platform lets single sign-on reach.
#[derive(Clone, Copy, Debug, Default)]
pub struct Reach {
    /// Loopback, link-local and private addresses too (a provider inside the organisation's network).
    pub private_networks: bool,
    /// Plain http:// (tests and local identity servers only).
    pub plain_http: bool,
}

/// An HTTP client for identity providers that refuses what [`Reach`] does not allow.
#[derive(Clone)]
pub struct Guarded {
    http: reqwest::Client,
    reach: Reach,
}

/// Why a CA bundle was refused, in words for the admin's form.
#[derive(Debug)]
pub struct BadBundle(pub String);

impl Guarded {
    /// A client trusting the public roots and, if `ca_bundle` is not blank, the certificates in it (PEM).
    pub fn new(reach: Reach, ca_bundle: &str) -> Result<Guarded, BadBundle> {
        let mut builder = reqwest::ClientBuilder::new()
            .redirect(reqwest::redirect::Policy::none())
            .no_proxy()
            .connect_timeout(Duration::from_secs(10))
            .timeout(Duration::from_secs(15));
        if !reach.private_networks {
            builder = builder.dns_resolver(Arc::new(PublicOnly));
        }
        for cert in certificates(ca_bundle)? {
            builder = builder.add_root_certificate(cert);
        }
        let http = builder.build().map_err(|e| {
            tracing::info!(error = %e, "a CA bundle was refused");
            BadBundle(
                "One of the certificates could not be read. Paste the CA certificates as PEM text."
                    .into(),
            )
        })?;
        Ok(Guarded { http, reach })
    }

    pub fn reach(&self) -> Reach {
        self.reach
    }

    /// Whether a URL may be fetched at all: the scheme, and the address when the host is an IP literal.
    fn permitted(&self, url: &openidconnect::url::Url) -> Result<(), String> {
        match url.scheme() {
            "https" => {}
            "http" if self.reach.plain_http => {}
            other => return Err(format!("scheme {other} is not allowed")),
        }
        let literal = match url.host() {
            Some(openidconnect::url::Host::Ipv4(a)) => Some(IpAddr::V4(a)),
            Some(openidconnect::url::Host::Ipv6(a)) => Some(IpAddr::V6(a)),
            Some(openidconnect::url::Host::Domain(_)) => None,
            None => return Err("no host".into()),
        };
        match literal {
            Some(ip) if !self.reach.private_networks && !is_public(ip) => {
                Err(format!("{ip} is not a public address"))
            }
            _ => Ok(()),
        }
    }
}

impl<'c> AsyncHttpClient<'c> for Guarded {
    type Error = HttpClientError<reqwest::Error>;
    type Future =
        Pin<Box<dyn Future<Output = Result<HttpResponse, Self::Error>> + Send + Sync + 'c>>;

    fn call(&'c self, request: HttpRequest) -> Self::Future {
        let url = openidconnect::url::Url::parse(&request.uri().to_string());
        let refused = match &url {
            Ok(u) => self.permitted(u).err(),
            Err(e) => Some(e.to_string()),
        };
        if let Some(why) = refused {
            return Box::pin(async move { Err(HttpClientError::Other(format!("refused: {why}"))) });
        }
        self.http.call(request)
    }
}

/// The certificates in a PEM bundle; blank is none. A private key pasted by mistake is refused by name.
fn certificates(pem: &str) -> Result<Vec<reqwest::Certificate>, BadBundle> {
    if pem.trim().is_empty() {
        return Ok(Vec::new());
    }
    if pem.contains("PRIVATE KEY") {
        return Err(BadBundle(
            "This contains a private key. Paste only the CA's certificates, and treat that key as exposed.".into(),
        ));
    }
    if !pem.contains("-----BEGIN CERTIFICATE-----") {
        return Err(BadBundle(
            "Paste the CA certificates as PEM text, each starting -----BEGIN CERTIFICATE-----"
                .into(),
        ));
    }
    reqwest::Certificate::from_pem_bundle(pem.as_bytes()).map_err(|e| {
        tracing::info!(error = %e, "a CA bundle was refused");
        BadBundle(
            "One of the certificates could not be read. Paste the CA certificates as PEM text."
                .into(),
        )
    })
}

/// reqwest's resolver for providers: the system's answer, without the addresses that are not public. A name with
/// only such addresses fails to resolve.
struct PublicOnly;

impl reqwest::dns::Resolve for PublicOnly {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        Box::pin(async move {
            let host = name.as_str().to_owned();
            let all: Vec<SocketAddr> = tokio::net::lookup_host((host.as_str(), 0)).await?.collect();
            let public: Vec<SocketAddr> =
                all.iter().copied().filter(|a| is_public(a.ip())).collect();
            if public.is_empty() {
                let refused: Vec<String> = all.iter().map(|a| a.ip().to_string()).collect();
                return Err(format!(
                    "{host} resolves to no public address ({})",
                    refused.join(", ")
                )
                .into());
            }
            Ok(Box::new(public.into_iter()) as reqwest::dns::Addrs)
        })
    }
}

/// Whether an address is on the public internet (IANA special-purpose registries, RFC 6890 and its updates).
pub fn is_public(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(a) => is_public_v4(a),
        IpAddr::V6(a) => is_public_v6(a),
    }
}

fn in_v4(a: Ipv4Addr, net: [u8; 4], bits: u32) -> bool {
    let mask = if bits == 0 {
        0
    } else {
        u32::MAX << (32 - bits)
    };
    u32::from(a) & mask == u32::from(Ipv4Addr::from(net)) & mask
}

fn is_public_v4(a: Ipv4Addr) -> bool {
    const NOT_PUBLIC: &[([u8; 4], u32)] = &[
        ([0, 0, 0, 0], 8),       // "this network", unspecified
        ([10, 0, 0, 0], 8),      // private (RFC 1918)
        ([100, 64, 0, 0], 10),   // shared address space, carrier-grade NAT (RFC 6598)
        ([127, 0, 0, 0], 8),     // loopback
        ([169, 254, 0, 0], 16),  // link-local, cloud metadata services (RFC 3927)
        ([172, 16, 0, 0], 12),   // private (RFC 1918)
        ([192, 0, 0, 0], 24),    // IETF protocol assignments (RFC 6890)
        ([192, 0, 2, 0], 24),    // documentation (RFC 5737)
        ([192, 88, 99, 0], 24),  // 6to4 relay anycast (RFC 7526)
        ([192, 168, 0, 0], 16),  // private (RFC 1918)
        ([198, 18, 0, 0], 15),   // benchmarking (RFC 2544)
        ([198, 51, 100, 0], 24), // documentation (RFC 5737)
        ([203, 0, 113, 0], 24),  // documentation (RFC 5737)
        ([224, 0, 0, 0], 4),     // multicast
        ([240, 0, 0, 0], 4),     // reserved, and broadcast
    ];
    !NOT_PUBLIC.iter().any(|&(net, bits)| in_v4(a, net, bits))
}

fn is_public_v6(a: Ipv6Addr) -> bool {
    let s = a.segments();
    // Forms that carry an IPv4 address are as public as that address.
    if let Some(v4) = a.to_ipv4_mapped() {
        return is_public_v4(v4); // ::ffff:0:0/96
    }
    if s[0] == 0x64 && s[1] == 0xff9b && s[2..6] == [0, 0, 0, 0] {
        return is_public_v4(Ipv4Addr::new(
            (s[6] >> 8) as u8,
            s[6] as u8,
            (s[7] >> 8) as u8,
            s[7] as u8,
        )); // NAT64 64:ff9b::/96 (RFC 6052)
    }
    if s[0] == 0x2002 {
        return is_public_v4(Ipv4Addr::new(
            (s[1] >> 8) as u8,
            s[1] as u8,
            (s[2] >> 8) as u8,
            s[2] as u8,
        )); // 6to4 2002::/16 (RFC 3056)
    }
    let not_public = a.is_unspecified()
        || a.is_loopback()
        || s[0..6] == [0, 0, 0, 0, 0, 0] // IPv4-compatible ::/96 (deprecated)
        || (s[0] == 0x64 && s[1] == 0xff9b && s[2] == 1) // local-use NAT64 64:ff9b:1::/48 (RFC 8215)
        || (s[0] == 0x100 && s[1..4] == [0, 0, 0]) // discard 100::/64 (RFC 6666)
        || (s[0] == 0x2001 && s[1] == 0) // Teredo 2001::/32 (tunnels to anywhere)
        || (s[0] == 0x2001 && s[1] == 2 && s[2] == 0) // benchmarking 2001:2::/48 (RFC 5180)
        || (s[0] == 0x2001 && s[1] == 0xdb8) // documentation 2001:db8::/32 (RFC 3849)
        || (s[0] & 0xfff0) == 0x3ff0 // documentation 3fff::/20 (RFC 9637)
        || (s[0] & 0xfe00) == 0xfc00 // unique local fc00::/7 (RFC 4193)
        || (s[0] & 0xffc0) == 0xfe80 // link-local fe80::/10
        || (s[0] & 0xffc0) == 0xfec0 // site-local fec0::/10 (deprecated)
        || (s[0] & 0xff00) == 0xff00; // multicast ff00::/8
    !not_public
}

#[cfg(test)]
mod tests {
    use super::is_public;

    #[test]
    fn only_public_addresses_are_reachable() {
        for a in [
            "127.0.0.1",
            "127.255.0.9",
            "0.0.0.0",
            "10.1.2.3",
            "172.16.0.1",
            "172.31.255.255",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "100.127.255.254",
            "192.0.2.10",
            "198.51.100.1",
            "203.0.113.9",
            "198.18.0.1",
            "198.19.255.1",
            "224.0.0.1",
            "239.1.1.1",
            "240.0.0.1",
            "255.255.255.255",
            "::",
            "::1",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
            "::ffff:169.254.169.254",
            "::127.0.0.1",
            "64:ff9b::a00:1",
            "64:ff9b:1::1",
            "2002:7f00:1::1",
            "2002:c0a8:101::1",
            "fc00::1",
            "fd12:3456::1",
            "fe80::1",
            "fec0::1",
            "ff02::1",
            "2001:db8::1",
            "3fff::1",
            "2001::1",
            "2001:2::1",
            "100::1",
        ] {
            assert!(!is_public(a.parse().unwrap()), "{a} must be refused");
        }
        for a in [
            "8.8.8.8",
            "1.1.1.1",
            "20.190.128.1",
            "100.63.255.255",
            "100.128.0.1",
            "172.15.255.255",
            "172.32.0.1",
            "192.169.0.1",
            "198.20.0.1",
            "::ffff:8.8.8.8",
            "64:ff9b::808:808",
            "2002:808:808::1",
            "2a00:1450:4009:81f::200e",
            "2606:4700::1111",
        ] {
            assert!(is_public(a.parse().unwrap()), "{a} is public");
        }
    }
}
