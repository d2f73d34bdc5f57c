"""HR's console at ``/admin``: one blueprint, one module per area of work.

``accounts`` makes the blueprint and holds signing in, the dashboard, HR
accounts and the second factor (with ``hr_auth`` and ``login_limits``).
Each other module adds its pages to that blueprint: ``roster`` and
``setup`` (roster upload, campaign creation, links, cards, slips),
``channels`` (public windows), ``waves`` and ``progress`` (while a campaign
runs), ``reports``, ``publication`` and ``ledger`` (after the box is
opened); ``rules``, ``marks`` and ``indicators`` (a campaign's rules, barring
marks and performance indicators, as the CLI has them); ``official_forms``
(the organisation department's forms); ``warnings`` (early warnings across
campaigns).
``webforms.create_app`` imports them all before registering it.
"""
