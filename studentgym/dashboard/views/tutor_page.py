"""Tutor a student: the tutoring env week by week, and the same student under another policy."""

import numpy as np
import pandas as pd
import streamlit as st

from studentgym.dashboard.data import play_out, reference_policies, tutoring_env, week_record
from studentgym.simulators.interventions import CATALOGUE

st.title("Tutor a student")
st.caption(
    "The tutoring environment made visible: each week, choose an intervention (or let a "
    "policy act) and watch the student's activity, scores, P(success) and the tutor-hour "
    "budget. The simulator's ground truth decides how the student responds."
)

state = st.session_state
left, middle, right = st.columns(3)
judge = right.radio(
    "Final result decided by", ["ground_truth", "classifier"], horizontal=True, key="judge"
)
if state.get("tutor_judge") != judge:  # a new judge: a new env
    state.tutor_env, state.tutor_judge = tutoring_env(judge), judge
    state.pop("tutor_log", None)
env = state.tutor_env
n = env.unwrapped.simulator.n_students
row = left.number_input(f"Student (cohort position, 0-{n - 1})", 0, n - 1, 0, key="row")
seed = middle.number_input("Random numbers (seed)", 0, 10**6, 0, key="seed")


def random_student() -> None:
    state.row = int(np.random.default_rng().integers(n))
    state.pop("tutor_log", None)  # start them at once


buttons = st.columns([1, 1, 4])
buttons[1].button("A random student", on_click=random_student, key="random")
if buttons[0].button("Start this student", type="primary", key="start") or "tutor_log" not in state:
    state.tutor_obs, state.tutor_info = env.reset(seed=int(seed), options={"student": int(row)})
    state.tutor_log, state.tutor_start = [], (int(row), int(seed))
    state.pop("tutor_replay", None)

log, info = state.tutor_log, state.tutor_info
done = bool(log) and bool(log[-1]["result"])
columns = st.columns(4)
columns[0].metric("Course week", f"{info['week']} / {env.unwrapped.n_weeks}")
columns[1].metric("P(success)", f"{info['p_success']:.2f}")
columns[2].metric(
    "Tutor hours", f"{info['cost_hours']:.2f} / {env.unwrapped.params.budget_hours:g}"
)
columns[3].metric("Final result", log[-1]["result"] if done else "not yet")
st.image(env.render(), caption=f"Student {info['student_id']}")

if not done:
    names = [item.name for item in CATALOGUE]
    affordable = info["action_mask"]
    left, right = st.columns(2)
    choice = left.selectbox("This week's intervention", names, key="choice")
    action = names.index(choice)
    if left.button("Deliver it and run the week", disabled=not affordable[action], key="deliver"):
        obs, reward, terminated, truncated, info = env.step(action)
        state.tutor_obs, state.tutor_info = obs, info
        log.append(week_record(action, reward, info))
        st.rerun()
    policies = reference_policies(int(seed))
    finisher = right.selectbox("Or let a policy finish the course", list(policies), key="finisher")
    if right.button("Play the rest of the course", key="finish"):
        log += play_out(env, policies[finisher], state.tutor_obs, state.tutor_info)
        st.rerun()

if log:
    st.subheader("Week by week")
    st.dataframe(pd.DataFrame(log), hide_index=True)

if done:
    st.subheader("The same student, the same random numbers, another policy")
    policies = reference_policies(int(seed))
    other = st.selectbox("Replay with", list(policies), key="other")
    if st.button("Replay", key="replay"):
        replay_env = tutoring_env(judge)
        start_row, start_seed = state.tutor_start
        obs, first = replay_env.reset(seed=start_seed, options={"student": start_row})
        state.tutor_replay = other, play_out(replay_env, policies[other], obs, first)
    if "tutor_replay" in state:
        name, replayed = state.tutor_replay
        yours, theirs = pd.DataFrame(log), pd.DataFrame(replayed)
        st.dataframe(
            pd.DataFrame(
                {
                    "run": ["your choices", name],
                    "final result": [yours["result"].iloc[-1], theirs["result"].iloc[-1]],
                    "return": [yours["reward"].sum().round(3), theirs["reward"].sum().round(3)],
                    "tutor hours": [yours["tutor hours"].iloc[-1], theirs["tutor hours"].iloc[-1]],
                }
            ),
            hide_index=True,
        )
        paths = pd.concat(
            {
                "your choices": yours.set_index("week")["P(success)"],
                name: theirs.set_index("week")["P(success)"],
            },
            axis=1,
        )
        st.line_chart(paths, x_label="course week", y_label="P(success)")
