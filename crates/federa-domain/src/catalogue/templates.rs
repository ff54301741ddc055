//! Install templates: `{{.name}}` placeholders filled at install time.

use crate::listing::FieldError;

/// The placeholder a command template may use besides configuration
/// properties: the URL the installer downloads the configuration from.
pub const CONFIG_URL_PLACEHOLDER: &str = "configUrl";

/// The placeholder of a command template that receives the bootstrap token.
pub const AUTH_TOKEN_PLACEHOLDER: &str = "authToken";

/// The names inside `{{ .name }}` placeholders, in order of appearance.
pub fn placeholders(template: &str) -> Result<Vec<&str>, String> {
    let mut names = Vec::new();
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        let after = &rest[start + 2..];
        let end = after
            .find("}}")
            .ok_or_else(|| "has a '{{' without a closing '}}'".to_string())?;
        let inner = after[..end].trim();
        let name = inner
            .strip_prefix('.')
            .filter(|n| !n.is_empty() && n.chars().all(|c| c.is_ascii_alphanumeric() || c == '_'))
            .ok_or_else(|| {
                format!("placeholder '{{{{{inner}}}}}' must have the form '{{{{.name}}}}'")
            })?;
        names.push(name);
        rest = &after[end + 2..];
    }
    Ok(names)
}

/// Checks that every placeholder of `template` is one of `known`.
pub fn check_template(path: &str, template: &str, known: &[&str]) -> Result<(), FieldError> {
    let names = placeholders(template).map_err(|message| FieldError::new(path, message))?;
    match names.into_iter().find(|name| !known.contains(name)) {
        None => Ok(()),
        Some(unknown) => Err(FieldError::new(
            path,
            format!("placeholder '{{{{.{unknown}}}}}' is not a property of configurationSchema"),
        )),
    }
}

/// Fills the placeholders of a checked template.
pub fn render(template: &str, value_of: impl Fn(&str) -> String) -> String {
    // `value_of` answers every name, so no placeholder is ever missing.
    render_strict(template, |name| Some(value_of(name))).unwrap_or_default()
}

/// Fills the placeholders of a template, failing with the name of the
/// first placeholder `value_of` has no value for.
pub fn render_strict(
    template: &str,
    value_of: impl Fn(&str) -> Option<String>,
) -> Result<String, &str> {
    let mut out = String::with_capacity(template.len());
    let mut rest = template;
    while let Some(start) = rest.find("{{") {
        out.push_str(&rest[..start]);
        let after = &rest[start + 2..];
        match after.find("}}") {
            Some(end) => {
                let name = after[..end].trim().trim_start_matches('.');
                out.push_str(&value_of(name).ok_or(name)?);
                rest = &after[end + 2..];
            }
            None => {
                out.push_str(&rest[start..]);
                rest = "";
            }
        }
    }
    out.push_str(rest);
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn placeholders_are_found_and_rendered() {
        let template = "host={{.host}} port={{ .port }}";
        assert_eq!(placeholders(template).unwrap(), vec!["host", "port"]);
        let rendered = render(template, |name| name.to_uppercase());
        assert_eq!(rendered, "host=HOST port=PORT");
    }

    #[test]
    fn malformed_and_unknown_placeholders_are_refused() {
        assert!(placeholders("{{.host").is_err());
        assert!(placeholders("{{host}}").is_err());
        assert!(placeholders("{{.a b}}").is_err());
        let error = check_template("configTemplate", "{{.nope}}", &["host"]).unwrap_err();
        assert_eq!(error.path, "configTemplate");
        assert!(error.message.contains("nope"), "{}", error.message);
        assert!(check_template("cmdTemplate", "run {{.configUrl}}", &["configUrl"]).is_ok());
    }
}
