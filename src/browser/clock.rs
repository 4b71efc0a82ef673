/// Local wall clock in epoch ms: the only clock the dashboard has, passed into the core.
pub fn now_ms() -> f64 {
    js_sys::Date::now()
}
