//! Numbers, read exactly as serde_json (without its `float_roundtrip` feature) reads them, so a
//! value decodes to the same bits as before: a non-negative integer that fits is a `u64`, a
//! negative one that fits an `i64`, anything else an `f64` computed as significand × 10^exp
//! with the same power-of-ten table and the same order of operations.
//!
//! Why not `str::parse::<f64>`: core's correctly rounded parser brings about 15 kB of code and
//! tables into the live page (issue #22; see `protocol::lenient::decimal`), and its results
//! differ from serde_json's in the last bit for some long decimals, which every differential
//! test against serde_json would then have to tolerate. This table is the one serde_json linked.

use super::cursor::Cursor;
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
            match POW10.get(exponent.unsigned_abs() as usize) {
                Some(&pow) => {
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

#[rustfmt::skip]
static POW10: [f64; 309] = [
    1e000, 1e001, 1e002, 1e003, 1e004, 1e005, 1e006, 1e007, 1e008, 1e009,
    1e010, 1e011, 1e012, 1e013, 1e014, 1e015, 1e016, 1e017, 1e018, 1e019,
    1e020, 1e021, 1e022, 1e023, 1e024, 1e025, 1e026, 1e027, 1e028, 1e029,
    1e030, 1e031, 1e032, 1e033, 1e034, 1e035, 1e036, 1e037, 1e038, 1e039,
    1e040, 1e041, 1e042, 1e043, 1e044, 1e045, 1e046, 1e047, 1e048, 1e049,
    1e050, 1e051, 1e052, 1e053, 1e054, 1e055, 1e056, 1e057, 1e058, 1e059,
    1e060, 1e061, 1e062, 1e063, 1e064, 1e065, 1e066, 1e067, 1e068, 1e069,
    1e070, 1e071, 1e072, 1e073, 1e074, 1e075, 1e076, 1e077, 1e078, 1e079,
    1e080, 1e081, 1e082, 1e083, 1e084, 1e085, 1e086, 1e087, 1e088, 1e089,
    1e090, 1e091, 1e092, 1e093, 1e094, 1e095, 1e096, 1e097, 1e098, 1e099,
    1e100, 1e101, 1e102, 1e103, 1e104, 1e105, 1e106, 1e107, 1e108, 1e109,
    1e110, 1e111, 1e112, 1e113, 1e114, 1e115, 1e116, 1e117, 1e118, 1e119,
    1e120, 1e121, 1e122, 1e123, 1e124, 1e125, 1e126, 1e127, 1e128, 1e129,
    1e130, 1e131, 1e132, 1e133, 1e134, 1e135, 1e136, 1e137, 1e138, 1e139,
    1e140, 1e141, 1e142, 1e143, 1e144, 1e145, 1e146, 1e147, 1e148, 1e149,
    1e150, 1e151, 1e152, 1e153, 1e154, 1e155, 1e156, 1e157, 1e158, 1e159,
    1e160, 1e161, 1e162, 1e163, 1e164, 1e165, 1e166, 1e167, 1e168, 1e169,
    1e170, 1e171, 1e172, 1e173, 1e174, 1e175, 1e176, 1e177, 1e178, 1e179,
    1e180, 1e181, 1e182, 1e183, 1e184, 1e185, 1e186, 1e187, 1e188, 1e189,
    1e190, 1e191, 1e192, 1e193, 1e194, 1e195, 1e196, 1e197, 1e198, 1e199,
    1e200, 1e201, 1e202, 1e203, 1e204, 1e205, 1e206, 1e207, 1e208, 1e209,
    1e210, 1e211, 1e212, 1e213, 1e214, 1e215, 1e216, 1e217, 1e218, 1e219,
    1e220, 1e221, 1e222, 1e223, 1e224, 1e225, 1e226, 1e227, 1e228, 1e229,
    1e230, 1e231, 1e232, 1e233, 1e234, 1e235, 1e236, 1e237, 1e238, 1e239,
    1e240, 1e241, 1e242, 1e243, 1e244, 1e245, 1e246, 1e247, 1e248, 1e249,
    1e250, 1e251, 1e252, 1e253, 1e254, 1e255, 1e256, 1e257, 1e258, 1e259,
    1e260, 1e261, 1e262, 1e263, 1e264, 1e265, 1e266, 1e267, 1e268, 1e269,
    1e270, 1e271, 1e272, 1e273, 1e274, 1e275, 1e276, 1e277, 1e278, 1e279,
    1e280, 1e281, 1e282, 1e283, 1e284, 1e285, 1e286, 1e287, 1e288, 1e289,
    1e290, 1e291, 1e292, 1e293, 1e294, 1e295, 1e296, 1e297, 1e298, 1e299,
    1e300, 1e301, 1e302, 1e303, 1e304, 1e305, 1e306, 1e307, 1e308,
];
