//! Indented JSON text written member by member, in the order the caller gives (a `Value`'s map
//! is sorted by key, a struct's fields are not): byte for byte what `serde_json::to_string_pretty`
//! writes for a derived `Serialize` (two spaces a level, `": "` after keys, empty arrays and
//! objects as `[]` and `{}`, non-finite floats as `null`, numbers as `Number`'s `Display`).
//! The report's download (`insight::report_json`) writes through it, so the report page links no
//! serde `Serialize` code.

use super::write::{write_str, write_value};
use serde_json::{Number, Value};
use std::fmt::Write;

/// An indented JSON text being written; [`PrettyWriter::finish`] gives it.
#[derive(Debug, Default)]
pub struct PrettyWriter {
    out: String,
    level: usize,
    /// Nothing written yet in the array or object last opened.
    empty: bool,
}

impl PrettyWriter {
    pub fn new() -> PrettyWriter {
        PrettyWriter::default()
    }

    pub fn finish(self) -> String {
        self.out
    }

    /// Opens an object (`{`) or array (`[`).
    pub fn open(&mut self, bracket: char) {
        self.out.push(bracket);
        self.level += 1;
        self.empty = true;
    }

    /// Closes what [`open`](Self::open) opened; an empty one stays `{}` or `[]`.
    pub fn close(&mut self, bracket: char) {
        self.level -= 1;
        if !self.empty {
            self.out.push('\n');
            self.indent();
        }
        self.out.push(bracket);
        self.empty = false;
    }

    /// Starts an array's next element.
    pub fn item(&mut self) {
        self.out.push_str(if self.empty { "\n" } else { ",\n" });
        self.empty = false;
        self.indent();
    }

    /// Starts an object's member `key`; its value follows.
    pub fn key(&mut self, key: &str) {
        self.item();
        write_str(&mut self.out, key);
        self.out.push_str(": ");
    }

    pub fn str(&mut self, s: &str) {
        write_str(&mut self.out, s);
    }

    /// A float as serde_json writes an `f64`: `null` when not finite.
    pub fn f64(&mut self, x: f64) {
        match Number::from_f64(x) {
            Some(n) => self.number(n),
            None => self.out.push_str("null"),
        }
    }

    pub fn usize(&mut self, n: usize) {
        self.number(Number::from(n));
    }

    pub fn opt_f64(&mut self, x: Option<f64>) {
        match x {
            Some(x) => self.f64(x),
            None => self.out.push_str("null"),
        }
    }

    pub fn opt_str(&mut self, s: Option<&str>) {
        match s {
            Some(s) => self.str(s),
            None => self.out.push_str("null"),
        }
    }

    /// `key` and a string.
    pub fn str_field(&mut self, key: &str, s: &str) {
        self.key(key);
        self.str(s);
    }

    pub fn f64_field(&mut self, key: &str, x: f64) {
        self.key(key);
        self.f64(x);
    }

    pub fn usize_field(&mut self, key: &str, n: usize) {
        self.key(key);
        self.usize(n);
    }

    pub fn opt_f64_field(&mut self, key: &str, x: Option<f64>) {
        self.key(key);
        self.opt_f64(x);
    }

    pub fn opt_str_field(&mut self, key: &str, s: Option<&str>) {
        self.key(key);
        self.opt_str(s);
    }

    /// `key` and an array of `items`, each written by `each`.
    pub fn list<T>(&mut self, key: &str, items: &[T], each: fn(&mut PrettyWriter, &T)) {
        self.key(key);
        self.open('[');
        for item in items {
            self.item();
            each(self, item);
        }
        self.close(']');
    }

    /// A whole `Value`, indented from the current level (its map's order: sorted by key).
    pub fn value(&mut self, value: &Value) {
        match value {
            Value::Array(items) => {
                self.open('[');
                for item in items {
                    self.item();
                    self.value(item);
                }
                self.close(']');
            }
            Value::Object(map) => {
                self.open('{');
                for (key, item) in map {
                    self.key(key);
                    self.value(item);
                }
                self.close('}');
            }
            other => write_value(&mut self.out, other),
        }
    }

    fn number(&mut self, n: Number) {
        let _ = write!(self.out, "{n}");
    }

    fn indent(&mut self) {
        for _ in 0..self.level {
            self.out.push_str("  ");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::PrettyWriter;
    use serde::Serialize;

    #[derive(Serialize)]
    struct Inner {
        z: Option<f64>,
        a: Vec<String>,
    }

    #[derive(Serialize)]
    struct Outer {
        name: String,
        n: usize,
        x: f64,
        nan: f64,
        inf: f64,
        none: Option<String>,
        some: Option<String>,
        empty: Vec<Inner>,
        inner: Vec<Inner>,
    }

    fn inner(w: &mut PrettyWriter, i: &Inner) {
        w.open('{');
        w.opt_f64_field("z", i.z);
        w.list("a", &i.a, |w, s| w.str(s));
        w.close('}');
    }

    #[test]
    fn writes_what_serde_json_writes_for_a_derived_struct() {
        let o = Outer {
            name: "a \"q\" \\ \u{1} \n é 😀".into(),
            n: usize::MAX,
            x: -0.1,
            nan: f64::NAN,
            inf: f64::NEG_INFINITY,
            none: None,
            some: Some("\t".into()),
            empty: vec![],
            inner: vec![
                Inner {
                    z: Some(1.0),
                    a: vec![],
                },
                Inner {
                    z: Some(1e300),
                    a: vec!["x".into(), String::new()],
                },
                Inner {
                    z: None,
                    a: vec!["y".into()],
                },
            ],
        };
        let mut w = PrettyWriter::new();
        w.open('{');
        w.str_field("name", &o.name);
        w.usize_field("n", o.n);
        w.f64_field("x", o.x);
        w.f64_field("nan", o.nan);
        w.f64_field("inf", o.inf);
        w.opt_str_field("none", o.none.as_deref());
        w.opt_str_field("some", o.some.as_deref());
        w.list("empty", &o.empty, inner);
        w.list("inner", &o.inner, inner);
        w.close('}');
        assert_eq!(
            w.finish(),
            serde_json::to_string_pretty(&o).expect("serializes")
        );
    }
}
