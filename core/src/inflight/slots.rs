//! The request kinds that share a slot, and the table of what is in flight in each.

use crate::str_map::StrMap;
use crate::tracker::Request;

/// Which requests share one slot.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Slot {
    Queue,
    Jobs,
    History,
    Entry(String),
    Details,
    Features,
    Stats,
}

pub(super) fn slot_of(request: &Request) -> Option<Slot> {
    Some(match request {
        Request::ReadQueue => Slot::Queue,
        Request::ReadJobs => Slot::Jobs,
        Request::ReadHistory { .. } => Slot::History,
        Request::ReadHistoryEntry(id) => Slot::Entry(id.clone()),
        Request::ReadHistoryDetails(_) => Slot::Details,
        Request::ReadFeatures => Slot::Features,
        Request::ReadSystemStats => Slot::Stats,
        // Not performed by the shell: folded into the stats cadence.
        Request::ReadGpuSoon => return None,
        // Single-flighted and spaced by `DetailsReads`, which knows the runs it answers.
        Request::ReadDetailsPage { .. } => return None,
        // Writes a person asked for: never merged or held back (see `InFlight::ask`).
        Request::DeleteQueued(_) | Request::ClearQueue => return None,
    })
}

#[derive(Debug, Clone)]
pub(super) struct Busy {
    /// The request being performed (its answer frees the slot).
    pub(super) request: Request,
    pub(super) since_ms: f64,
    /// Asked again while in flight: made once the answer is in.
    pub(super) again: Option<Request>,
}

/// The slots in flight: one place for each kind, and the runs' history entries by prompt id
/// (a flood of runs can have many of them). Not a hash table keyed by `Slot`: that would be one
/// more table type compiled into the wasm (bytes).
#[derive(Debug, Clone, Default)]
pub(super) struct BusyTable {
    kinds: [Option<Busy>; 6],
    entries: StrMap<Busy>,
}

/// Where a slot other than a run's entry lives in `kinds`, or the entry's prompt id.
fn place(slot: &Slot) -> Result<usize, &str> {
    match slot {
        Slot::Queue => Ok(0),
        Slot::Jobs => Ok(1),
        Slot::History => Ok(2),
        Slot::Details => Ok(3),
        Slot::Features => Ok(4),
        Slot::Stats => Ok(5),
        Slot::Entry(id) => Err(id),
    }
}

impl BusyTable {
    pub(super) fn get(&self, slot: &Slot) -> Option<&Busy> {
        match place(slot) {
            Ok(i) => self.kinds[i].as_ref(),
            Err(id) => self.entries.get(id),
        }
    }

    pub(super) fn get_mut(&mut self, slot: &Slot) -> Option<&mut Busy> {
        match place(slot) {
            Ok(i) => self.kinds[i].as_mut(),
            Err(id) => self.entries.get_mut(id),
        }
    }

    pub(super) fn insert(&mut self, slot: &Slot, busy: Busy) {
        match place(slot) {
            Ok(i) => self.kinds[i] = Some(busy),
            Err(id) => {
                self.entries.insert(id, busy);
            }
        }
    }

    pub(super) fn remove(&mut self, slot: &Slot) -> Option<Busy> {
        match place(slot) {
            Ok(i) => self.kinds[i].take(),
            Err(id) => self.entries.remove(id),
        }
    }

    pub(super) fn values(&self) -> impl Iterator<Item = &Busy> {
        self.kinds.iter().flatten().chain(self.entries.values())
    }

    pub(super) fn len(&self) -> usize {
        self.values().count()
    }
}
