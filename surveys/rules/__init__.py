"""The rules of assessment as pure functions: questionnaires, scores, disclosure, grades.

Nothing here touches the database; every other part of ``surveys`` builds on it.
"""
