"""Benchmark: a ``scripts/train_agent.py`` output folder in words, tables and charts."""

from pathlib import Path

import pandas as pd
import streamlit as st

from studentgym.dashboard.data import interval_chart, q_table_chart, verdict_in_words

st.title("Benchmark: which tutoring policy helps students most")
folder = Path(st.text_input("Output folder of `scripts/train_agent.py`", "outputs", key="folder"))
if not (folder / "summary.md").is_file():
    st.info(
        f"No benchmark results in `{folder}` yet. Make them with "
        f"`python scripts/train_agent.py --out {folder}` (3.5 to 12 minutes on 2 cores), or "
        f"`python scripts/train_agent.py --quick --out {folder}` for a first look (30 to 90 s)."
    )
    st.stop()


def table(name: str) -> pd.DataFrame | None:
    path = folder / name
    return pd.read_csv(path) if path.is_file() else None


verdicts, robust = table("policy_benchmark.csv"), table("robust_evaluation.csv")
summary = (folder / "summary.md").read_text(encoding="utf-8")
st.subheader("The verdict")
st.markdown(verdict_in_words(summary))
with st.expander("All of summary.md: how to read it, every agent, gaming, fairness"):
    st.markdown(summary)

if robust is not None:
    st.subheader("Gain over doing nothing, with 95% intervals")
    judge = st.radio(
        "Judged by", ["ground_truth", "classifier"], horizontal=True, key="judge",
        help="The verdicts are the ground truth's; the classifier is what a simulator "
        "built from data believes (learned agents: trained in the classifier simulator).",
    )  # fmt: skip
    shown = robust[(robust["judged_by"] == judge) & robust["trained_on"].isin(["-", "classifier"])]
    st.image(interval_chart(shown, "return_minus_no_intervention"))
if verdicts is not None:
    st.markdown("**The verdicts** (judged by the ground truth)")
    columns = [
        "policy", "success_rate", "withdrawal_rate", "mean_return", "tutor_hours",
        "return_minus_no_intervention", "verdict_vs_no_intervention",
    ]  # fmt: skip
    st.dataframe(verdicts[[c for c in columns if c in verdicts]].round(3), hide_index=True)
if robust is not None:
    st.subheader("Both judges, every training world: gain over doing nothing")
    judged = robust.pivot_table(
        index=["policy", "trained_on"],
        columns="judged_by",
        values="return_minus_no_intervention",
    ).round(3)
    st.dataframe(judged)
    st.caption(
        "A policy that gains more under the classifier than under the ground truth moves "
        "the classifier's inputs, not the student (its gaming gap). `trained_on`: the "
        "simulator a learned agent trained in (- for policies that are not trained)."
    )

curves = table("learning_curves.csv")
if curves is not None:
    st.subheader("Learning curves: gain over doing nothing on validation students")
    curves = curves.assign(run=curves["agent"] + " / " + curves["trained_on"].astype(str))
    counted_in_steps = curves["steps"].notna()  # DQN's; the others count students (episodes)
    by_episode, dqn = curves[~counted_in_steps], curves[counted_in_steps]
    # long format, one line per run over its own points (the agents' points differ)
    by_episode = by_episode.groupby(["run", "episodes"], as_index=False)["value"].mean()
    left, right = st.columns(2)
    left.markdown("**Q-learning and the learned schedule**, by students simulated (episodes)")
    left.line_chart(by_episode, x="episodes", y="value", color="run")
    if not dqn.empty:
        right.markdown("**DQN**, by environment steps (mean over seeds)")
        right.line_chart(dqn.pivot_table(index="steps", columns="run", values="value"))

q_table = table("Q_table.csv")
if q_table is not None:
    st.subheader("The Q-table: its greedy intervention in each state")
    try:
        st.image(q_table_chart(q_table))
    except ValueError as err:  # a Q_table.csv of an earlier tabular view
        st.warning(f"`{folder / 'Q_table.csv'}` cannot be drawn: {err}.")

recommenders = table("recommender_evaluation.csv")
if recommenders is not None:
    st.subheader("Recommenders, judged by each student's true benefit")
    keep = ["recommender", "precision_at_1", "ndcg_at_3", "uplift"]
    keep += ["uplift_ci_low", "uplift_ci_high"]
    st.dataframe(recommenders[keep].round(3), hide_index=True)
