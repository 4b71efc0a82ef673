//! One shape for VRAM readings, whichever source sent them: `/api/system_stats`, Crystools'
//! monitor, or our extension. Bytes throughout; `None` is "not measured", never 0.

use crate::protocol::extension::GpuSample;
use crate::protocol::http::SystemStats;
use crate::protocol::MonitorSample;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GpuSource {
    SystemStats,
    Crystools,
    Extension,
}

impl GpuSource {
    pub fn as_str(self) -> &'static str {
        match self {
            GpuSource::SystemStats => "system_stats",
            GpuSource::Crystools => "crystools",
            GpuSource::Extension => "extension",
        }
    }
}

#[derive(Debug, Clone, PartialEq)]
pub struct GpuReading {
    pub at_ms: f64,
    pub source: GpuSource,
    pub name: Option<String>,
    /// The device is the CPU: "VRAM" is system RAM and means little for a GPU budget.
    pub cpu_only: bool,
    pub vram_total: Option<f64>,
    pub vram_free: Option<f64>,
    pub utilization: Option<f64>,
    pub temperature: Option<f64>,
}

impl GpuReading {
    pub fn vram_used(&self) -> Option<f64> {
        Some((self.vram_total? - self.vram_free?).max(0.0))
    }

    pub fn from_system_stats(stats: &SystemStats, at_ms: f64) -> Option<GpuReading> {
        let d = stats.devices.first()?;
        Some(GpuReading {
            at_ms,
            source: GpuSource::SystemStats,
            name: Some(d.name.clone()),
            cpu_only: d.kind == "cpu" || d.name == "cpu",
            vram_total: d.vram_total,
            vram_free: d.vram_free,
            utilization: None,
            temperature: None,
        })
    }

    /// Crystools reports used, not free, and no device name in its broadcast.
    pub fn from_monitor(m: &MonitorSample, at_ms: f64) -> Option<GpuReading> {
        let g = m.gpus.first()?;
        if g.vram_total.is_none() && g.utilization.is_none() {
            return None;
        }
        Some(GpuReading {
            at_ms,
            source: GpuSource::Crystools,
            name: None,
            cpu_only: m.device_type.as_deref() == Some("cpu"),
            vram_total: g.vram_total,
            vram_free: match (g.vram_total, g.vram_used) {
                (Some(t), Some(u)) => Some((t - u).max(0.0)),
                _ => None,
            },
            utilization: g.utilization,
            temperature: g.temperature,
        })
    }

    pub fn from_extension(s: &GpuSample, at_ms: f64) -> GpuReading {
        GpuReading {
            at_ms,
            source: GpuSource::Extension,
            name: s.name.clone(),
            cpu_only: s.cpu_only,
            vram_total: s.vram_total,
            vram_free: s.vram_free,
            utilization: s.utilization,
            temperature: s.temperature,
        }
    }

    /// Fills what this reading lacks from an older one of another source (Crystools has
    /// utilisation but no name; system stats the reverse).
    pub fn merged_with(mut self, older: Option<&GpuReading>) -> GpuReading {
        if let Some(o) = older {
            self.name = self.name.or_else(|| o.name.clone());
            self.utilization = self.utilization.or(o.utilization);
            self.temperature = self.temperature.or(o.temperature);
            self.vram_total = self.vram_total.or(o.vram_total);
        }
        self
    }
}
