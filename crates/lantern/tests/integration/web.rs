//! A small cookie-keeping client over the real router (no network), like a browser without JavaScript.

use axum::body::Body;
use axum::http::{HeaderMap, Request, StatusCode, header};
use http_body_util::BodyExt;
use std::collections::BTreeMap;
use tower::ServiceExt;

pub struct Response {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: String,
}

impl Response {
    pub fn location(&self) -> &str {
        self.headers
            .get(header::LOCATION)
            .and_then(|v| v.to_str().ok())
            .unwrap_or("")
    }

    pub fn json(&self) -> serde_json::Value {
        serde_json::from_str(&self.body).unwrap_or_else(|e| panic!("not JSON ({e}): {}", self.body))
    }
}

#[derive(Clone)]
pub struct Client {
    pub app: axum::Router,
    pub cookies: BTreeMap<String, String>,
}

impl Client {
    pub fn new(app: &axum::Router) -> Self {
        Client {
            app: app.clone(),
            cookies: BTreeMap::new(),
        }
    }

    fn cookie_header(&self) -> String {
        self.cookies
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join("; ")
    }

    pub async fn send(&mut self, req: Request<Body>) -> Response {
        let res = self.app.clone().oneshot(req).await.expect("response");
        for v in res.headers().get_all(header::SET_COOKIE) {
            let v = v.to_str().expect("ascii cookie");
            let pair = v.split(';').next().unwrap_or("");
            if let Some((k, val)) = pair.split_once('=') {
                if val.is_empty() || v.contains("Max-Age=0") {
                    self.cookies.remove(k);
                } else {
                    self.cookies.insert(k.to_owned(), val.to_owned());
                }
            }
        }
        let status = res.status();
        let headers = res.headers().clone();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        Response {
            status,
            headers,
            body: String::from_utf8_lossy(&bytes).into_owned(),
        }
    }

    /// A request with no body, with the client's cookies (PUT and DELETE in the authorisation matrix).
    pub async fn bodiless(&mut self, method: &str, uri: &str) -> Response {
        let req = Request::builder()
            .method(method)
            .uri(uri)
            .header(header::COOKIE, self.cookie_header())
            .header(header::HOST, "localhost")
            .body(Body::empty())
            .expect("request");
        self.send(req).await
    }

    pub async fn get(&mut self, uri: &str) -> Response {
        let req = Request::get(uri)
            .header(header::COOKIE, self.cookie_header())
            .body(Body::empty())
            .expect("request");
        self.send(req).await
    }

    /// A download's status and raw bytes (PDF, XLSX), which `get` would mangle into text.
    pub async fn get_bytes(&mut self, uri: &str) -> (StatusCode, Vec<u8>) {
        let req = Request::get(uri)
            .header(header::COOKIE, self.cookie_header())
            .body(Body::empty())
            .expect("request");
        let res = self.app.clone().oneshot(req).await.expect("response");
        let status = res.status();
        let bytes = res.into_body().collect().await.expect("body").to_bytes();
        (status, bytes.to_vec())
    }

    /// The CSRF token the site gave this client (getting any page first if it has none yet).
    pub async fn csrf(&mut self) -> String {
        if !self.cookies.contains_key("lantern_csrf") {
            self.get("/sign-in").await;
        }
        self.cookies
            .get("lantern_csrf")
            .cloned()
            .expect("a CSRF cookie")
    }

    /// Posts a JSON body to the API, with the CSRF header a script would send.
    pub async fn post_json(&mut self, uri: &str, body: &serde_json::Value) -> Response {
        let csrf = self.csrf().await;
        let req = Request::post(uri)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/json")
            .header(header::HOST, "localhost")
            .header("x-csrf-token", csrf)
            .body(Body::from(body.to_string()))
            .expect("request");
        self.send(req).await
    }

    /// Posts a form as a browser would, with the CSRF token in it unless `token` overrides it.
    pub async fn post_form(
        &mut self,
        uri: &str,
        fields: &[(&str, &str)],
        token: Option<&str>,
    ) -> Response {
        self.post_form_from(uri, fields, token, None).await
    }

    /// Posts a form from a client address (an IP address, as the server sees the connection's peer).
    pub async fn post_form_from(
        &mut self,
        uri: &str,
        fields: &[(&str, &str)],
        token: Option<&str>,
        peer: Option<&str>,
    ) -> Response {
        let csrf = match token {
            Some(t) => t.to_owned(),
            None => self.csrf().await,
        };
        let body = {
            let mut form = form_urlencoded::Serializer::new(String::new());
            form.append_pair("csrf_token", &csrf);
            for (k, v) in fields {
                form.append_pair(k, v);
            }
            form.finish()
        };
        let mut req = Request::post(uri)
            .header(header::COOKIE, self.cookie_header())
            .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
            .header(header::HOST, "localhost")
            .body(Body::from(body))
            .expect("request");
        if let Some(ip) = peer {
            let addr = std::net::SocketAddr::new(ip.parse().expect("an IP address"), 50_000);
            req.extensions_mut()
                .insert(axum::extract::ConnectInfo(addr));
        }
        self.send(req).await
    }

    /// Signs in from a client address.
    pub async fn sign_in_from(&mut self, email: &str, password: &str, peer: &str) -> Response {
        self.post_form_from(
            "/sign-in",
            &[("email", email), ("password", password)],
            None,
            Some(peer),
        )
        .await
    }

    /// Posts a multipart form with one file, as a browser's upload form does (CSRF token in the query string).
    pub async fn post_upload(
        &mut self,
        uri: &str,
        fields: &[(&str, &str)],
        file: (&str, &[u8]),
    ) -> Response {
        let csrf = self.csrf().await;
        let boundary = "lantern-test-boundary-7d9a";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        body.extend(
            format!(
                "--{boundary}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"{}\"\r\nContent-Type: text/csv\r\n\r\n",
                file.0
            )
            .as_bytes(),
        );
        body.extend(file.1);
        body.extend(format!("\r\n--{boundary}--\r\n").as_bytes());
        let sep = if uri.contains('?') { '&' } else { '?' };
        let req = Request::post(format!("{uri}{sep}csrf_token={csrf}"))
            .header(header::COOKIE, self.cookie_header())
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header(header::HOST, "localhost")
            .body(Body::from(body))
            .expect("request");
        self.send(req).await
    }

    /// Posts a multipart form with named files (field name, file name, content), CSRF token in the query string.
    pub async fn post_files(
        &mut self,
        uri: &str,
        fields: &[(&str, &str)],
        files: &[(&str, &str, &[u8])],
    ) -> Response {
        let csrf = self.csrf().await;
        let boundary = "lantern-test-boundary-5c1e";
        let mut body = Vec::new();
        for (k, v) in fields {
            body.extend(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{k}\"\r\n\r\n{v}\r\n"
                )
                .as_bytes(),
            );
        }
        for (field, name, content) in files {
            body.extend(
                format!(
                    "--{boundary}\r\nContent-Disposition: form-data; name=\"{field}\"; filename=\"{name}\"\r\nContent-Type: application/octet-stream\r\n\r\n"
                )
                .as_bytes(),
            );
            body.extend(*content);
            body.extend(b"\r\n");
        }
        body.extend(format!("--{boundary}--\r\n").as_bytes());
        let sep = if uri.contains('?') { '&' } else { '?' };
        let req = Request::post(format!("{uri}{sep}csrf_token={csrf}"))
            .header(header::COOKIE, self.cookie_header())
            .header(
                header::CONTENT_TYPE,
                format!("multipart/form-data; boundary={boundary}"),
            )
            .header(header::HOST, "localhost")
            .body(Body::from(body))
            .expect("request");
        self.send(req).await
    }

    pub async fn sign_in(&mut self, email: &str, password: &str) -> Response {
        self.post_form(
            "/sign-in",
            &[("email", email), ("password", password)],
            None,
        )
        .await
    }

    /// A client already signed in; panics if sign-in fails.
    pub async fn signed_in(app: &axum::Router, email: &str, password: &str) -> Client {
        let mut c = Client::new(app);
        let res = c.sign_in(email, password).await;
        assert_eq!(
            res.status,
            StatusCode::SEE_OTHER,
            "sign-in as {email}: {}",
            res.body
        );
        c
    }
}

/// An email as a person reads it: headers as they are, a quoted-printable body decoded (long links come wrapped).
pub fn decoded_email(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return text.into_owned();
    };
    if !head.contains("Content-Transfer-Encoding: quoted-printable") {
        return text.into_owned();
    }
    let body = quoted_printable::decode(body.as_bytes(), quoted_printable::ParseMode::Robust)
        .expect("quoted-printable body");
    format!("{head}\r\n\r\n{}", String::from_utf8_lossy(&body))
}
