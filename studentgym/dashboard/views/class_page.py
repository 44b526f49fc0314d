"""Class: upload a teacher CSV or an OULAD export, see who is at risk and what to do."""

import numpy as np
import pandas as pd
import streamlit as st

from studentgym.agents.contacts import RESTS_ON, contact_list, explain
from studentgym.dashboard.data import (
    at_risk_scorer,
    example_class,
    missing_cells,
    prediction_drivers,
    read_class,
    read_oulad_export,
    teacher_model,
)
from studentgym.io.csvfile import spreadsheet_csv
from studentgym.io.oulad import FILES as OULAD_FILES
from studentgym.io.teacher import class_summary, success_labels

TEACHER, OULAD = "Upload a teacher CSV", "Upload an OULAD export"

st.title("Class: who is at risk, and what to do")
st.session_state.pop("results_csv", None)  # nothing from an earlier run survives a refusal
source = st.radio("Students", ["Example class", TEACHER, OULAD], horizontal=True, key="source")

if source == OULAD:
    st.caption(
        f"OULAD's seven files ({', '.join(OULAD_FILES)}), e.g. one module presentation's "
        "export; students are scored on what is seen after the week you choose."
    )
    uploads = st.file_uploader("OULAD CSVs", type=["csv"], accept_multiple_files=True, key="oulad")
    week = int(st.number_input("After course week", 1, 39, 8, key="week"))
    if not uploads:
        st.info("Choose the seven CSV files of an OULAD export.")
        st.stop()
    name = "oulad_export"
    scorer = at_risk_scorer(week)
    try:
        tables = read_oulad_export({upload.name: upload.getvalue() for upload in uploads})
        results = scorer.score(tables)  # refuses a week beyond the export's course
    except ValueError as err:
        st.error(f"The OULAD export cannot be scored: {err}")
        st.stop()
    preview, repairs, pipeline = tables.students, [], scorer.classifier_.pipeline_
    trained_on = f"a synthetic cohort of OULAD-like students, after week {week}"
    truth = tables.students["final_result"].isin(["Pass", "Distinction"]).to_numpy()
    imputed = "Scores not submitted yet are imputed with the training means."
else:
    st.caption(
        "One row per student: `Student_ID`, `Quiz1`-`Quiz3` (0-100), `Time_Spent` (hours), "
        "`Assignments`, `Attendance` (%), and optionally `Final_Result` (Pass/Fail). "
        "The same scoring as `python scripts/predict.py --input class.csv`."
    )
    if source == TEACHER:
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
    preview = frame
    imputed = f"{missing_cells(frame)} missing values imputed with the training means."
    model, trained_on = teacher_model()
    results, pipeline = model.score(frame), model.classifier_
    truth = success_labels(frame)

st.subheader(f"Preview of {name}")
st.dataframe(preview.head(10), hide_index=True)
st.info("\n".join([imputed, *(f"- {repair}" for repair in repairs)]))

results_csv = spreadsheet_csv(results)  # the bytes predict.py writes
st.session_state["results_csv"] = results_csv  # what the download gives (tests read it)

n_pass = int((~results["at_risk"]).sum())
left, middle, right = st.columns(3)
left.metric("Students", len(results))
middle.metric("Predicted to pass", n_pass)
right.metric("Predicted to fail (at risk)", len(results) - n_pass)
st.caption(f"Success model trained on {trained_on}.")
if truth is not None:
    agree = float(np.mean(truth == ~results["at_risk"].to_numpy()))
    st.caption(f"Against the file's final results: {agree:.0%} of predictions agree.")

st.subheader("Students")
left, right = st.columns(2)
segments = sorted(results["segment"].unique())
# keyed by the segments present: another class starts with all of its own selected
chosen = left.multiselect("Segments", segments, default=segments, key=f"segments:{segments}")
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

st.subheader("Whom to contact this week")
hours = st.number_input(
    "Tutor hours this week", min_value=0.0, max_value=1000.0, value=3.0, step=0.25, key="hours"
)
id_column = "id_student" if source == OULAD else "Student_ID"
enrolled = results[results["registered"]] if "registered" in results else results
contacts = contact_list(enrolled, hours, id_column)
st.dataframe(contacts, hide_index=True)
st.caption(explain(enrolled, hours, id_column))
st.caption(RESTS_ON["oulad" if source == OULAD else "teacher"])
st.download_button(
    "Download the contact list (CSV)",
    spreadsheet_csv(contacts),
    file_name=f"{name.removesuffix('.csv')}_contacts.csv",
    mime="text/csv",
)

st.subheader("Charts")
left, right = st.columns(2)
left.markdown("**Predicted result**")
left.bar_chart(results["predicted"].value_counts().rename("students"))
right.markdown("**P(success)**: students per tenth")
bins = pd.cut(results["success_probability"], np.linspace(0, 1, 11), include_lowest=True)
labels = [f"{max(b.left, 0):.1f}-{b.right:.1f}" for b in bins.cat.categories]
right.bar_chart(bins.value_counts(sort=False).rename("students").set_axis(labels))
left, right = st.columns(2)
left.markdown("**Segments** (K-means on scores, activity and attendance)")
left.dataframe(class_summary(results).round(3), hide_index=True)
right.markdown("**What drives the predictions**: log-odds of success per standard deviation")
right.bar_chart(prediction_drivers(pipeline), horizontal=True)
