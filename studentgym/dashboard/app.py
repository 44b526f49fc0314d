"""Entry point of the dashboard: ``streamlit run studentgym/dashboard/app.py``."""

from pathlib import Path

import streamlit as st

VIEWS = Path(__file__).with_name("views")  # not "pages": Streamlit would list that folder itself

st.set_page_config(page_title="studentgym", page_icon=":mortar_board:", layout="wide")
st.navigation(
    [
        st.Page(VIEWS / "class_page.py", title="Class", icon=":material/groups:", default=True),
        st.Page(
            VIEWS / "benchmark_page.py",
            title="Benchmark",
            icon=":material/leaderboard:",
            url_path="benchmark",
        ),
        st.Page(
            VIEWS / "tutor_page.py",
            title="Tutor a student",
            icon=":material/school:",
            url_path="tutor",
        ),
    ]
).run()
