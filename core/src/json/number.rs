//! Numbers, read exactly as serde_json (without its `float_roundtrip` feature) reads them, so a
//! value decodes to the same bits as before: a non-negative integer that fits is a `u64`, a
//! negative one that fits an `i64`, anything else an `f64` computed as significand × 10^exp
//! with the same powers of ten and the same order of operations.
//!
//! Why not `str::parse::<f64>`: core's correctly rounded parser brings about 15 kB of code and
//! tables into the live page (issue #22; see `protocol::lenient::decimal`), and its results
//! differ from serde_json's in the last bit for some long decimals, which every differential
//! test against serde_json would then have to tolerate. The powers of ten are serde_json's
//! table's values, computed (`pow10.rs`).

use super::cursor::Cursor;
use super::pow10::pow10;
use super::{JsonError, JsonErrorKind};
use serde_json::Number;

impl Cursor<'_> {
    /// A number, the cursor on its `-` or first digit.
    pub(super) fn number(&mut self) -> Result<Number, JsonError> {
        let start = self.pos;
        let positive = self.peek() != Some(b'-');
        if !positive {
            self.pos += 1;
        }
        let significand = match self.peek() {
            None => return Err(JsonError::new(JsonErrorKind::Eof, self.pos)),
            Some(b'0') => {
                self.pos += 1;
                if digit(self.peek()).is_some() {
                    return Err(JsonError::new(JsonErrorKind::Number, self.pos));
                }
                0
            }
            Some(d @ b'1'..=b'9') => {
                self.pos += 1;
                let mut significand = u64::from(d - b'0');
                while let Some(d) = digit(self.peek()) {
                    match grow(significand, d) {
                        Some(n) => significand = n,
                        None => {
                            return self.float(start, |c| c.long_integer(positive, significand))
                        }
                    }
                    self.pos += 1;
                }
                significand
            }
            Some(_) => return Err(JsonError::new(JsonErrorKind::Number, self.pos)),
        };
        match self.peek() {
            Some(b'.') => self.float(start, |c| c.decimal(positive, significand, 0)),
            Some(b'e' | b'E') => self.float(start, |c| c.exponent(positive, significand, 0)),
            _ if positive => Ok(Number::from(significand)),
            _ => {
                let negative = (significand as i64).wrapping_neg();
                if negative >= 0 {
                    // Below i64::MIN, or `-0`.
                    self.float(start, |_| Ok(-(significand as f64)))
                } else {
                    Ok(Number::from(negative))
                }
            }
        }
    }

    fn float(
        &mut self,
        start: usize,
        read: impl FnOnce(&mut Self) -> Result<f64, JsonError>,
    ) -> Result<Number, JsonError> {
        Number::from_f64(read(self)?).ok_or(JsonError::new(JsonErrorKind::Range, start))
    }

    /// Digits past what a `u64` holds: they only scale the significand.
    fn long_integer(&mut self, positive: bool, significand: u64) -> Result<f64, JsonError> {
        let mut exponent: i32 = 0;
        loop {
            match self.peek() {
                Some(b'0'..=b'9') => {
                    self.pos += 1;
                    exponent = exponent.saturating_add(1);
                }
                Some(b'.') => return self.decimal(positive, significand, exponent),
                Some(b'e' | b'E') => return self.exponent(positive, significand, exponent),
                _ => return self.scale(positive, significand, exponent),
            }
        }
    }

    /// The fraction, the cursor on the point.
    fn decimal(
        &mut self,
        positive: bool,
        mut significand: u64,
        before: i32,
    ) -> Result<f64, JsonError> {
        self.pos += 1;
        let mut after: i32 = 0;
        while let Some(d) = digit(self.peek()) {
            match grow(significand, d) {
                Some(n) => significand = n,
                None => {
                    // Further digits cannot change the significand: skip them.
                    while digit(self.peek()).is_some() {
                        self.pos += 1;
                    }
                    return match self.peek() {
                        Some(b'e' | b'E') => self.exponent(positive, significand, before + after),
                        _ => self.scale(positive, significand, before + after),
                    };
                }
            }
            self.pos += 1;
            after -= 1;
        }
        if after == 0 {
            return Err(match self.peek() {
                Some(_) => JsonError::new(JsonErrorKind::Number, self.pos),
                None => JsonError::new(JsonErrorKind::Eof, self.pos),
            });
        }
        match self.peek() {
            Some(b'e' | b'E') => self.exponent(positive, significand, before + after),
            _ => self.scale(positive, significand, before + after),
        }
    }

    /// The exponent, the cursor on the `e`.
    fn exponent(
        &mut self,
        positive: bool,
        significand: u64,
        starting: i32,
    ) -> Result<f64, JsonError> {
        self.pos += 1;
        let positive_exp = match self.peek() {
            Some(b'+') => {
                self.pos += 1;
                true
            }
            Some(b'-') => {
                self.pos += 1;
                false
            }
            _ => true,
        };
        let mut exp = match self.peek() {
            None => return Err(JsonError::new(JsonErrorKind::Eof, self.pos)),
            Some(d @ b'0'..=b'9') => i32::from(d - b'0'),
            Some(_) => return Err(JsonError::new(JsonErrorKind::Number, self.pos)),
        };
        self.pos += 1;
        while let Some(d) = digit(self.peek()) {
            self.pos += 1;
            let d = d as i32;
            if exp >= i32::MAX / 10 && (exp > i32::MAX / 10 || d > i32::MAX % 10) {
                // An exponent past i32: zero, or too large.
                if significand != 0 && positive_exp {
                    return Err(JsonError::new(JsonErrorKind::Range, self.pos));
                }
                while digit(self.peek()).is_some() {
                    self.pos += 1;
                }
                return Ok(if positive { 0.0 } else { -0.0 });
            }
            exp = exp * 10 + d;
        }
        let exponent = if positive_exp {
            starting.saturating_add(exp)
        } else {
            starting.saturating_sub(exp)
        };
        self.scale(positive, significand, exponent)
    }

    fn scale(&self, positive: bool, significand: u64, mut exponent: i32) -> Result<f64, JsonError> {
        let mut f = significand as f64;
        loop {
            match pow10(exponent.unsigned_abs()) {
                Some(pow) => {
                    if exponent >= 0 {
                        f *= pow;
                        if f.is_infinite() {
                            return Err(JsonError::new(JsonErrorKind::Range, self.pos));
                        }
                    } else {
                        f /= pow;
                    }
                    break;
                }
                None => {
                    if f == 0.0 {
                        break;
                    }
                    if exponent >= 0 {
                        return Err(JsonError::new(JsonErrorKind::Range, self.pos));
                    }
                    f /= 1e308;
                    exponent += 308;
                }
            }
        }
        Ok(if positive { f } else { -f })
    }

    /// Checks a number's grammar only (what serde_json does for a value it skips: no range
    /// check), the cursor on its `-` or first digit.
    pub(super) fn skip_number(&mut self) -> Result<(), JsonError> {
        if self.peek() == Some(b'-') {
            self.pos += 1;
        }
        match self.peek() {
            Some(b'0') => {
                self.pos += 1;
                if digit(self.peek()).is_some() {
                    return Err(JsonError::new(JsonErrorKind::Number, self.pos));
                }
            }
            Some(b'1'..=b'9') => self.digits(),
            Some(_) => return Err(JsonError::new(JsonErrorKind::Number, self.pos)),
            None => return Err(JsonError::new(JsonErrorKind::Eof, self.pos)),
        }
        if self.peek() == Some(b'.') {
            self.pos += 1;
            self.required_digits()?;
        }
        if let Some(b'e' | b'E') = self.peek() {
            self.pos += 1;
            if let Some(b'+' | b'-') = self.peek() {
                self.pos += 1;
            }
            self.required_digits()?;
        }
        Ok(())
    }

    fn digits(&mut self) {
        while digit(self.peek()).is_some() {
            self.pos += 1;
        }
    }

    fn required_digits(&mut self) -> Result<(), JsonError> {
        match self.peek() {
            Some(b'0'..=b'9') => {
                self.digits();
                Ok(())
            }
            Some(_) => Err(JsonError::new(JsonErrorKind::Number, self.pos)),
            None => Err(JsonError::new(JsonErrorKind::Eof, self.pos)),
        }
    }
}

fn digit(b: Option<u8>) -> Option<u64> {
    match b {
        Some(d @ b'0'..=b'9') => Some(u64::from(d - b'0')),
        _ => None,
    }
}

/// `significand * 10 + digit`, or `None` past `u64::MAX`.
fn grow(significand: u64, digit: u64) -> Option<u64> {
    significand.checked_mul(10)?.checked_add(digit)
}
