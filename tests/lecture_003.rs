//! Proof tests of `theory::lecture_003` (see theory/src/lecture_003/), and unit tests of
//! the lecture-003 objectives (`PlExample`, `ThreePoint`, `TwoCycle`).

use crate::proof;

proof!(noise_ball_three_point, "noise_ball_three_point");
proof!(noise_ball_two_cycle, "noise_ball_two_cycle");
