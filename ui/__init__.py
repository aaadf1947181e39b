"""The Streamlit layer's shared pieces: cached loading and the sidebar model picker."""
