//! A JSON Schema (draft-07) validator for the keywords the SARIF 2.1.0
//! schema uses: `$ref` (local `#/definitions/...`), `type`, `enum`,
//! `properties`, `required`, `additionalProperties`, `items`, `minItems`,
//! `uniqueItems`, `minimum`, `maximum`, `pattern`, `anyOf`, `oneOf`.
//! Annotations (`description`, `default`, `title`, `format`, ...) are
//! ignored; any other keyword panics, so the validator never silently
//! skips a constraint it does not know.

use serde_json::Value;

/// Every violation of `schema` by `doc`, as "JSON pointer: problem".
pub fn validate(schema: &Value, doc: &Value) -> Vec<String> {
    let mut errors = Vec::new();
    check(schema, schema, doc, "", &mut errors);
    errors
}

const ANNOTATIONS: &[&str] = &["description", "default", "title", "format", "$schema", "$id", "definitions"];

fn resolve<'a>(root: &'a Value, reference: &str) -> &'a Value {
    let pointer = reference.strip_prefix('#').unwrap_or_else(|| panic!("only local $ref supported: {reference}"));
    root.pointer(pointer).unwrap_or_else(|| panic!("$ref {reference} not found"))
}

fn type_matches(t: &str, v: &Value) -> bool {
    match t {
        "object" => v.is_object(),
        "array" => v.is_array(),
        "string" => v.is_string(),
        "boolean" => v.is_boolean(),
        "null" => v.is_null(),
        "integer" => v.is_i64() || v.is_u64(),
        "number" => v.is_number(),
        other => panic!("unknown type {other}"),
    }
}

fn check(root: &Value, schema: &Value, v: &Value, at: &str, errors: &mut Vec<String>) {
    let Some(obj) = schema.as_object() else {
        if schema == &Value::Bool(false) {
            errors.push(format!("{at}: not allowed"));
        }
        return;
    };
    for (key, rule) in obj {
        match key.as_str() {
            k if ANNOTATIONS.contains(&k) => {}
            "$ref" => check(root, resolve(root, rule.as_str().expect("$ref string")), v, at, errors),
            "type" => {
                let ok = match rule {
                    Value::String(t) => type_matches(t, v),
                    Value::Array(ts) => ts.iter().any(|t| type_matches(t.as_str().expect("type name"), v)),
                    _ => panic!("bad type rule"),
                };
                if !ok {
                    errors.push(format!("{at}: expected type {rule}, found {v}"));
                }
            }
            "enum" => {
                if !rule.as_array().expect("enum array").contains(v) {
                    errors.push(format!("{at}: {v} is not one of {rule}"));
                }
            }
            "properties" => {
                if let Some(o) = v.as_object() {
                    for (name, sub) in rule.as_object().expect("properties object") {
                        if let Some(x) = o.get(name) {
                            check(root, sub, x, &format!("{at}/{name}"), errors);
                        }
                    }
                }
            }
            "required" => {
                if let Some(o) = v.as_object() {
                    for name in rule.as_array().expect("required array") {
                        let name = name.as_str().expect("required name");
                        if !o.contains_key(name) {
                            errors.push(format!("{at}: required property \"{name}\" is missing"));
                        }
                    }
                }
            }
            "additionalProperties" => {
                if let Some(o) = v.as_object() {
                    let declared = obj.get("properties").and_then(Value::as_object);
                    for (name, x) in o {
                        if declared.is_some_and(|d| d.contains_key(name)) {
                            continue;
                        }
                        match rule {
                            Value::Bool(false) => errors.push(format!("{at}: property \"{name}\" is not allowed")),
                            Value::Bool(true) => {}
                            sub => check(root, sub, x, &format!("{at}/{name}"), errors),
                        }
                    }
                }
            }
            "items" => {
                if let Some(a) = v.as_array() {
                    for (i, x) in a.iter().enumerate() {
                        check(root, rule, x, &format!("{at}/{i}"), errors);
                    }
                }
            }
            "minItems" => {
                if let Some(a) = v.as_array() {
                    if (a.len() as u64) < rule.as_u64().expect("minItems") {
                        errors.push(format!("{at}: fewer than {rule} items"));
                    }
                }
            }
            "uniqueItems" => {
                if let (Some(a), true) = (v.as_array(), rule.as_bool().unwrap_or(false)) {
                    for (i, x) in a.iter().enumerate() {
                        if a[..i].contains(x) {
                            errors.push(format!("{at}/{i}: duplicate item"));
                        }
                    }
                }
            }
            "minimum" | "maximum" => {
                if let (Some(x), Some(limit)) = (v.as_f64(), rule.as_f64()) {
                    if (key == "minimum" && x < limit) || (key == "maximum" && x > limit) {
                        errors.push(format!("{at}: {x} is outside {key} {limit}"));
                    }
                }
            }
            "pattern" => {
                if let Some(s) = v.as_str() {
                    let re = regex::Regex::new(rule.as_str().expect("pattern")).expect("pattern compiles");
                    if !re.is_match(s) {
                        errors.push(format!("{at}: \"{s}\" does not match {rule}"));
                    }
                }
            }
            "anyOf" | "oneOf" => {
                let passing = rule
                    .as_array()
                    .expect("subschemas")
                    .iter()
                    .filter(|sub| {
                        let mut e = Vec::new();
                        check(root, sub, v, at, &mut e);
                        e.is_empty()
                    })
                    .count();
                if passing == 0 || (key == "oneOf" && passing > 1) {
                    errors.push(format!("{at}: {passing} of the {key} alternatives match"));
                }
            }
            other => panic!("keyword {other} is not supported by this validator"),
        }
    }
}
