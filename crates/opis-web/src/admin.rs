//! The admin pages: the audit log (who signed in, failed to, corrected, granted, ingested).

use axum::extract::{Query, State};
use maud::{Markup, html};
use opis_store::auth::Role;
use serde::Deserialize;

use crate::{Shared, WebError, blocking, layout};

#[derive(Deserialize)]
pub(crate) struct AuditParams {
    action: Option<String>,
}

/// GET /admin/audit: the last 500 entries, newest first (admins only; others get 401/403).
pub(crate) async fn audit_page(State(state): State<Shared>, Query(p): Query<AuditParams>) -> Result<Markup, WebError> {
    crate::auth::current().require(Role::Admin)?;
    let action = p.action.filter(|a| !a.is_empty());
    let wanted = action.clone();
    let entries = blocking(&state, move |s| s.with_store(|st| Ok(st.audit_entries(wanted.as_deref(), 500)?))).await?;
    Ok(layout::page(
        "Audit log",
        None,
        html! {
            h1 { "Audit log" }
            form method="get" action="/admin/audit" {
                label for="audit-action" { "Action" } " "
                input #audit-action name="action" value=(action.as_deref().unwrap_or(""));
                " " button type="submit" { "Show" }
            }
            table.audit {
                thead { tr { th { "When" } th { "Who" } th { "Action" } th { "On" } th { "Detail" } } }
                tbody {
                    @for e in &entries {
                        tr { td { (e.at) } td { (e.actor) } td { (e.action) } td { (e.target) } td { (e.detail) } }
                    }
                }
            }
        },
    ))
}
