//! The alternate request syntax of xAPI 1.0.3 (Communication 1.3), for clients that can only send POST without
//! custom headers: `POST /xapi/...?method=PUT` with a form body carrying the headers, the resource's parameters and
//! the `content`. It is rewritten here into the request it stands for. xAPI 2.0 removed the syntax, so a request
//! that declares 2.0 is refused.

use super::{VERSION_HEADER, XapiHttpError};
use axum::body::Body;
use axum::extract::Request;
use axum::http::{HeaderName, HeaderValue, Method, header};
use http_body_util::BodyExt;

/// The largest form body accepted (a statement batch with its content).
const MAX_FORM: usize = 16 * 1024 * 1024;

/// Form fields that are headers of the request they stand for (1.3.s3.b4).
const HEADER_FIELDS: [&str; 7] = [
    "authorization",
    "x-experience-api-version",
    "content-type",
    "content-length",
    "if-match",
    "if-none-match",
    "accept-language",
];

/// The request the alternate syntax stands for; any other request as it is.
pub async fn rewritten(req: Request) -> Result<Request, XapiHttpError> {
    let has_method = req.method() == Method::POST
        && req
            .uri()
            .query()
            .is_some_and(|q| form_urlencoded::parse(q.as_bytes()).any(|(k, _)| k == "method"));
    if !has_method {
        return Ok(req);
    }
    let (parts, body) = req.into_parts();
    let query: Vec<(String, String)> =
        form_urlencoded::parse(parts.uri.query().unwrap_or("").as_bytes())
            .map(|(k, v)| (k.into_owned(), v.into_owned()))
            .collect();
    if let Some((k, _)) = query.iter().find(|(k, _)| k != "method") {
        return Err(XapiHttpError::bad_request(format!(
            "with the alternate request syntax (?method=) the only query parameter may be method; send {k:?} in the form body"
        )));
    }
    let method = query
        .iter()
        .find(|(k, _)| k == "method")
        .map(|(_, v)| v.to_ascii_uppercase())
        .unwrap_or_default();
    let method = match method.as_str() {
        "GET" => Method::GET,
        "PUT" => Method::PUT,
        "POST" => Method::POST,
        "DELETE" => Method::DELETE,
        "HEAD" => Method::HEAD,
        other => {
            return Err(XapiHttpError::bad_request(format!(
                "method must be GET, HEAD, PUT, POST or DELETE, got {other:?}"
            )));
        }
    };
    let form_type = parts
        .headers
        .get(header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .unwrap_or("");
    if !form_type
        .to_ascii_lowercase()
        .starts_with("application/x-www-form-urlencoded")
    {
        return Err(XapiHttpError::bad_request(
            "the alternate request syntax sends its body as application/x-www-form-urlencoded",
        ));
    }
    let bytes = http_body_util::Limited::new(body, MAX_FORM)
        .collect()
        .await
        .map_err(|_| XapiHttpError::bad_request("the form body is larger than 16 MB"))?
        .to_bytes();
    let mut headers = parts.headers.clone();
    headers.remove(header::CONTENT_TYPE);
    headers.remove(header::CONTENT_LENGTH);
    let mut params = form_urlencoded::Serializer::new(String::new());
    let mut content: Vec<u8> = Vec::new();
    for (k, v) in form_urlencoded::parse(&bytes) {
        let lower = k.to_ascii_lowercase();
        if lower == "content" {
            content = v.as_bytes().to_vec();
        } else if HEADER_FIELDS.contains(&lower.as_str()) {
            if lower == "content-length" {
                continue;
            }
            let name = HeaderName::from_bytes(lower.as_bytes()).expect("a known header name");
            let value = HeaderValue::from_str(&v).map_err(|_| {
                XapiHttpError::bad_request(format!(
                    "the form field {k} is not a valid header value"
                ))
            })?;
            headers.insert(name, value);
        } else {
            params.append_pair(&k, &v);
        }
    }
    if headers
        .get(VERSION_HEADER)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.trim().starts_with("2."))
    {
        return Err(XapiHttpError::bad_request(
            "xAPI 2.0 has no alternate request syntax: send the request with its own method and headers",
        ));
    }
    if !content.is_empty() && !headers.contains_key(header::CONTENT_TYPE) {
        headers.insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
    }
    let query = params.finish();
    let uri = if query.is_empty() {
        parts.uri.path().to_owned()
    } else {
        format!("{}?{query}", parts.uri.path())
    };
    let mut out = Request::new(Body::from(content));
    *out.method_mut() = method;
    *out.uri_mut() = uri
        .parse()
        .map_err(|_| XapiHttpError::bad_request("the form's parameters do not make a valid URL"))?;
    *out.headers_mut() = headers;
    *out.extensions_mut() = parts.extensions;
    Ok(out)
}
