//! A form with a file, read from a multipart body: its text fields by name and the one file field `file`. Read only
//! after the caller's access is checked, and capped by the router's body limit; a part that cannot be read becomes
//! a message on the `file` field rather than an error page, so the form can say what went wrong.

use crate::auth::sign_in::FieldError;
use crate::{AppError, AppState};
use axum::extract::{FromRequest, Multipart};
use std::collections::HashMap;

pub(crate) struct Upload {
    pub fields: HashMap<String, String>,
    /// The file's name as sent and its bytes; none when the file input was left empty.
    pub file: Option<(String, Vec<u8>)>,
    pub errors: Vec<FieldError>,
}

impl Upload {
    pub async fn read(req: axum::extract::Request, state: &AppState) -> Result<Upload, AppError> {
        let mut multipart = Multipart::from_request(req, state)
            .await
            .map_err(|e| AppError::BadRequest(format!("Send the form on this page ({e})")))?;
        let mut out = Upload {
            fields: HashMap::new(),
            file: None,
            errors: Vec::new(),
        };
        loop {
            let field = match multipart.next_field().await {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    out.errors.push(FieldError {
                        field: "file",
                        message: format!("The form could not be read: {e}"),
                    });
                    break;
                }
            };
            let name = field.name().unwrap_or_default().to_owned();
            if name == "file" {
                let file_name = field.file_name().unwrap_or_default().to_owned();
                match field.bytes().await {
                    // An empty file input sends an empty part with no name: no file.
                    Ok(b) if b.is_empty() && file_name.is_empty() => {}
                    Ok(b) => out.file = Some((file_name, b.to_vec())),
                    Err(e) => out.errors.push(FieldError {
                        field: "file",
                        message: format!(
                            "The file could not be read (at most {} MB): {e}",
                            lantern_domain::uploads::MAX_FILE_BYTES / (1024 * 1024)
                        ),
                    }),
                }
                continue;
            }
            out.fields
                .insert(name, field.text().await.unwrap_or_default());
        }
        Ok(out)
    }

    /// A text field's value, empty when it was not sent.
    pub fn get(&self, name: &str) -> String {
        self.fields.get(name).cloned().unwrap_or_default()
    }
}
