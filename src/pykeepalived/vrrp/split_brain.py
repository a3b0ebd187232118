"""Split-brain episodes: a MASTER that hears another MASTER, counted once and explained.

keepalived resolves two masters by the RFC 5798 §6.4.3 rule the moment one hears the
other (instance_adverts.py does the same) and logs a line per advert; it never says that
an episode happened, how long it lasted or who was involved. This module is that record,
kept by each instance's core (pure: times are the core's `now`).

What one node can know differs by side, so an episode says which side it saw:

- **kept**: we were MASTER and heard a lower master (lower priority, or equal priority and
  a smaller primary address). We stay MASTER; the other yields at our answer. We cannot
  know since when the other held the VIP, so `start` is the first advert we heard from
  it. Further adverts from the same peer within one Master_Down_Interval of the last one
  belong to the same episode (the peer's adverts still in flight when it yielded).
- **yielded**: we were MASTER because our down timer expired when the master we
  followed went silent, and that master's advert reaches us again. The two of us held
  the VIP together from our own takeover to now, at most: `start` is our takeover. A
  cold start that heard nobody is not counted on this side (nobody to have split from);
  the winner's side counts it if it hears us. A mastership entered on a priority-0
  advert (the old master let go on purpose) or by preemption (we heard the lower master
  until we took over) is not an episode. From this side a master that crashed (or lost
  its link) and came back looks the same as a partition that healed; the peer's record
  (it saw nothing) tells them apart.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from pykeepalived.vrrp.advert import IPAddress

#: the episodes an instance keeps for read-outs; older ones are only counted
EPISODES_KEPT = 16


@dataclass(frozen=True, slots=True)
class Episode:
    """One split-brain episode as this instance saw it; times are core (monotonic) times."""

    start: float
    end: float
    side: str  # "kept" or "yielded"
    ours: IPAddress | None
    our_priority: int
    peer: IPAddress
    peer_priority: int

    @property
    def duration(self) -> float:
        return self.end - self.start


@dataclass(slots=True)
class SplitBrainLog:
    """The episodes of one instance: `count` ever, the last `EPISODES_KEPT` in full."""

    count: int = 0
    episodes: deque[Episode] = field(default_factory=lambda: deque(maxlen=EPISODES_KEPT))
    #: when our current mastership began, and whether by silence (a down timer)
    master_since: float | None = None
    master_by_silence: bool = False
    #: the master we followed last while BACKUP (None: nobody heard yet)
    followed: IPAddress | None = None

    def became_master(self, now: float, *, by_silence: bool) -> None:
        self.master_since, self.master_by_silence = now, by_silence

    def left_master(self) -> None:
        self.master_since, self.master_by_silence = None, False

    def heard_lower_master(self, now: float, window: float, *, ours: IPAddress | None,
                           our_priority: int, peer: IPAddress, peer_priority: int) -> bool:
        """We keep MASTER against `peer`; True when this opens a new episode."""
        last = self.episodes[-1] if self.episodes else None
        if last is not None and last.side == "kept" and last.peer == peer \
                and now - last.end <= window:
            self.episodes[-1] = Episode(last.start, now, "kept", last.ours, last.our_priority,
                                        peer, max(peer_priority, last.peer_priority))
            return False
        self._open(Episode(now, now, "kept", ours, our_priority, peer, peer_priority))
        return True

    def yielding(self, now: float, *, ours: IPAddress | None, our_priority: int,
                 peer: IPAddress, peer_priority: int) -> Episode | None:
        """We yield to `peer`; the episode, when our mastership was one side of one: we
        took over because `peer`, the master we followed, went silent."""
        if self.master_since is None or not self.master_by_silence or self.followed != peer:
            return None
        episode = Episode(self.master_since, now, "yielded", ours, our_priority, peer,
                          peer_priority)
        self._open(episode)
        return episode

    def _open(self, episode: Episode) -> None:
        self.count += 1
        self.episodes.append(episode)
