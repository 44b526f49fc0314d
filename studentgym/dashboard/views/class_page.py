"""Class: upload a teacher CSV, see who is at risk and what to do, download the results."""

import numpy as np
import pandas as pd
import streamlit as st

from studentgym.dashboard.data import (
    example_class,
    missing_cells,
    prediction_drivers,
    read_class,
    teacher_model,
)
from studentgym.io.teacher import class_summary, success_labels

st.title("Class: who is at risk, and what to do")
st.caption(
    "One row per student: `Student_ID`, `Quiz1`-`Quiz3` (0-100), `Time_Spent` (hours), "
    "`Assignments`, `Attendance` (%), and optionally `Final_Result` (Pass/Fail). "
    "The same scoring as `python scripts/predict.py --input class.csv`."
)

st.session_state.pop("results_csv", None)  # nothing from an earlier run survives a refusal
source = st.radio("Students", ["Example class", "Upload a CSV"], horizontal=True, key="source")
if source == "Upload a CSV":
    upload = st.file_uploader("Teacher CSV", type=["csv"], key="upload")
    if upload is None:
        st.info("Choose a CSV file, or look at the example class first.")
        st.stop()
    name, content = upload.name, upload.getvalue()
else:
    name, content = "example_class.csv", example_class()

try:
    frame, repairs = read_class(name, content)
except ValueError as err:
    st.error(f"{name} cannot be scored: {err}")
    st.stop()

st.subheader(f"Preview of {name}")
st.dataframe(frame.head(10), hide_index=True)
missing = missing_cells(frame)
if missing or repairs:
    st.info(
        f"{missing} missing values imputed with the training means"
        + "".join(f"\n- {repair}" for repair in repairs)
    )

model, trained_on = teacher_model()
results = model.score(frame)
results_csv = results.to_csv(index=False).encode()
st.session_state["results_csv"] = results_csv  # what the download gives (tests read it)

n_pass = int((~results["at_risk"]).sum())
left, middle, right = st.columns(3)
left.metric("Students", len(results))
middle.metric("Predicted to pass", n_pass)
right.metric("Predicted to fail (at risk)", len(results) - n_pass)
st.caption(f"Success model trained on {trained_on}.")
truth = success_labels(frame)
if truth is not None:
    agree = float(np.mean(truth == ~results["at_risk"].to_numpy()))
    st.caption(f"Against the file's Final_Result: {agree:.0%} of predictions agree.")

st.subheader("Students")
left, right = st.columns(2)
segments = sorted(results["segment"].unique())
chosen = left.multiselect("Segments", segments, default=segments, key="segments")
risk = right.radio("Risk", ["All", "At risk", "Not at risk"], horizontal=True, key="risk")
shown = results[results["segment"].isin(chosen)]
if risk != "All":
    shown = shown[shown["at_risk"] == (risk == "At risk")]
st.dataframe(
    shown,
    hide_index=True,
    column_config={
        "success_probability": st.column_config.ProgressColumn(
            "P(success)", min_value=0.0, max_value=1.0, format="%.2f"
        )
    },
)
st.download_button(
    "Download the results (CSV)",
    results_csv,
    file_name=f"{name.removesuffix('.csv')}_results.csv",
    mime="text/csv",
)

st.subheader("Charts")
left, right = st.columns(2)
left.markdown("**Predicted result**")
left.bar_chart(results["predicted"].value_counts().rename("students"))
right.markdown("**P(success)**: students per tenth")
bins = pd.cut(results["success_probability"], np.linspace(0, 1, 11), include_lowest=True)
right.bar_chart(bins.value_counts(sort=False).rename("students").set_axis(
    [f"{max(b.left, 0):.1f}-{b.right:.1f}" for b in bins.cat.categories]
))  # fmt: skip
left, right = st.columns(2)
left.markdown("**Segments** (K-means on quiz mean, engagement and attendance)")
left.dataframe(class_summary(results).round(3), hide_index=True)
right.markdown("**What drives the predictions**: log-odds of success per standard deviation")
right.bar_chart(prediction_drivers(model), horizontal=True)
