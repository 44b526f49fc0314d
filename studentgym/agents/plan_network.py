"""A dueling Q-network for DQN whose advantages see the tutor's plan, not the student.

``Q(s, a) = V(s) + A(plan(s), a) - mean_b A(plan(s), b)``:

================  ==================================================  ======================
head              input                                               what it learns
================  ==================================================  ======================
value ``V``       the whole observation (20 features), each scaled    how this student's
                  to [0, 1] by the observation space's bounds         course goes (one value)
advantage ``A``   the plan: the course week one-hot (40 levels, as    what each action adds
                  :mod:`~studentgym.envs.tabular` counts weeks), the  (six values), the same
                  interventions given (5 bits), and the features      for students with the
                  named in ``advantage_features`` (default            same plan, risk and
                  ``p_success``, the classifier's risk, and           budget left
                  ``budget_used``, the share of tutor hours spent)
================  ==================================================  ======================

Why: an intervention changes P(success) by a few points, less than one student's luck
in a week. A Q-network over the whole observation learns per-student advantages that are
noise (measured on validation students: their spread across students 0.025-0.05 in
return at every week, two seeds' advantages uncorrelated, the greedy policy spending
the whole budget on them). The value head takes the student's variation out of the
targets; the advantage head pools every student with the same plan, as the tabular
view does. With all-action targets (:mod:`~studentgym.agents.all_action_dqn`) DQN's
gain over doing nothing on validation students went from +0.018 a model (plain network,
one-action targets) to +0.10, the table's level (``hyperparams/dqn.yml`` has the
measurements, the advantage features included).

The observation is read raw (train with ``normalize: false``): the week and the given
bits are decoded from it, and the value head scales by the space's bounds instead of
``VecNormalize``'s statistics, so a saved model needs no separate statistics file.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import torch as th
from gymnasium import spaces
from stable_baselines3.common.torch_layers import create_mlp
from stable_baselines3.dqn.policies import DQNPolicy, QNetwork
from torch import nn

from studentgym.envs.observation import OBSERVATION_NAMES, WEEK_FRACTION
from studentgym.envs.tabular import COURSE_WEEKS, GIVEN_COLUMNS, N_WEEK

ADVANTAGE_FEATURES = ("p_success", "budget_used")
"""What the advantage head sees besides the plan, by default (chosen in ``dqn.yml``'s table)."""


class PlanAdvantageQNetwork(QNetwork):
    """SB3's ``QNetwork`` with the value/advantage split of the module docstring.

    Args (beyond ``QNetwork``'s; ``net_arch`` is the value head's hidden layers):
        advantage_features: observation names the advantage head sees besides the plan.
        advantage_arch: the advantage head's hidden layers.

    Raises:
        ValueError: for an observation space that is not the tutoring env's Box, or an
            unknown feature name.
    """

    def __init__(
        self,
        *args: Any,
        advantage_features: Sequence[str] = ADVANTAGE_FEATURES,
        advantage_arch: Sequence[int] = (64, 64),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        space = self.observation_space
        if not isinstance(space, spaces.Box) or space.shape != (len(OBSERVATION_NAMES),):
            raise ValueError(f"PlanAdvantageQNetwork needs the tutoring env's Box, got {space}")
        unknown = sorted(set(advantage_features) - set(OBSERVATION_NAMES))
        if unknown:
            raise ValueError(f"unknown advantage feature(s) {unknown}; see OBSERVATION_NAMES")
        self.advantage_features = list(advantage_features)
        self.advantage_arch = list(advantage_arch)
        extra = [OBSERVATION_NAMES.index(name) for name in self.advantage_features]
        self.register_buffer("extra", th.tensor(extra, dtype=th.long))
        self.register_buffer("low", th.as_tensor(space.low))
        self.register_buffer("span", th.as_tensor(space.high - space.low))
        n_actions = int(self.action_space.n)
        # the parent's q_net is replaced by the value head (same name, so SB3's target
        # network copy and saving work unchanged)
        value = create_mlp(self.features_dim, 1, self.net_arch, self.activation_fn)
        self.q_net = nn.Sequential(*value)
        width = N_WEEK + GIVEN_COLUMNS.stop - GIVEN_COLUMNS.start + len(extra)
        self.advantage_net = nn.Sequential(
            *create_mlp(width, n_actions, self.advantage_arch, self.activation_fn)
        )

    def plan(self, obs: th.Tensor) -> th.Tensor:
        """The advantage head's input: week one-hot, given bits, ``advantage_features``."""
        week = th.clamp(th.round(obs[:, WEEK_FRACTION] * COURSE_WEEKS), 0, COURSE_WEEKS)
        week = nn.functional.one_hot(week.long(), N_WEEK).to(obs.dtype)
        given = (obs[:, GIVEN_COLUMNS] > 0).to(obs.dtype)
        return th.cat([week, given, obs[:, self.extra]], dim=1)

    def forward(self, obs: th.Tensor) -> th.Tensor:
        features = self.extract_features(obs, self.features_extractor)
        advantage = self.advantage_net(self.plan(features))
        value = self.q_net((features - self.low) / self.span)
        return value + advantage - advantage.mean(dim=1, keepdim=True)

    def _get_constructor_parameters(self) -> dict[str, Any]:
        data = super()._get_constructor_parameters()
        data.update(advantage_features=self.advantage_features, advantage_arch=self.advantage_arch)
        return data


class PlanAdvantagePolicy(DQNPolicy):
    """SB3's ``DQNPolicy`` with :class:`PlanAdvantageQNetwork` as its Q-network (and target).

    ``policy_kwargs`` take ``advantage_features`` and ``advantage_arch`` besides
    ``DQNPolicy``'s.
    """

    def __init__(
        self,
        *args: Any,
        advantage_features: Sequence[str] = ADVANTAGE_FEATURES,
        advantage_arch: Sequence[int] = (64, 64),
        **kwargs: Any,
    ) -> None:
        self.advantage_kwargs = {
            "advantage_features": list(advantage_features),
            "advantage_arch": list(advantage_arch),
        }
        super().__init__(*args, **kwargs)

    def make_q_net(self) -> PlanAdvantageQNetwork:
        net_args = self._update_features_extractor(self.net_args, features_extractor=None)
        return PlanAdvantageQNetwork(**net_args, **self.advantage_kwargs).to(self.device)

    def _get_constructor_parameters(self) -> dict[str, Any]:
        return {**super()._get_constructor_parameters(), **self.advantage_kwargs}
