//! The task list component: the tasks a user has to complete, each with its status.

use askama::Template;
use serde::Deserialize;

use super::page_de::{self, Given, html_or_text};
use super::{Attributes, Tag};

/// Options of `govukTaskList`.
#[derive(Debug, Clone, Default, Deserialize, Template)]
#[serde(rename_all = "camelCase", default)]
#[template(path = "task-list.html")]
pub struct TaskList {
    /// The tasks. A `None` is skipped but still counts in the numbered ids, as an empty entry
    /// does in the macro; [`TaskList::new`] builds the list from tasks alone.
    #[serde(deserialize_with = "page_de::slots")]
    pub items: Vec<Option<TaskListItem>>,
    /// The prefix of the hint and status ids, `task-list` when not given.
    pub id_prefix: Option<String>,
    pub classes: Option<String>,
    pub attributes: Attributes,
}

/// One task.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TaskListItem {
    pub title: TaskListText,
    pub hint: Option<TaskListText>,
    pub status: TaskListStatus,
    /// Makes the title a link to the task.
    pub href: Option<String>,
    pub classes: Option<String>,
}

/// A task's title or hint.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TaskListText {
    #[serde(deserialize_with = "page_de::opt_text")]
    pub text: Option<String>,
    pub html: Option<String>,
    /// Classes (used on the title only).
    pub classes: Option<String>,
}

/// A task's status: a tag, or plain text or HTML.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct TaskListStatus {
    pub tag: Option<Tag>,
    #[serde(deserialize_with = "page_de::opt_text")]
    pub text: Option<String>,
    pub html: Option<String>,
    pub classes: Option<String>,
}

impl TaskList {
    /// A task list of these tasks.
    pub fn new(items: impl IntoIterator<Item = TaskListItem>) -> Self {
        Self {
            items: items.into_iter().map(Some).collect(),
            ..Default::default()
        }
    }

    fn class_names(&self) -> String {
        let mut names = String::from("govuk-task-list");
        page_de::push_classes(&mut names, &self.classes);
        names
    }

    fn id(&self, index: &usize, suffix: &str) -> String {
        let prefix = self.id_prefix.given().unwrap_or("task-list");
        format!("{prefix}-{index}-{suffix}")
    }
}

impl TaskListItem {
    fn class_names(&self) -> String {
        let mut names = String::from("govuk-task-list__item");
        if self.href.given().is_some() {
            names.push_str(" govuk-task-list__item--with-link");
        }
        page_de::push_classes(&mut names, &self.classes);
        names
    }

    fn link_class_names(&self) -> String {
        let mut names = String::from("govuk-link govuk-task-list__link");
        page_de::push_classes(&mut names, &self.title.classes);
        names
    }

    fn status_class_names(&self) -> String {
        let mut names = String::from("govuk-task-list__status");
        page_de::push_classes(&mut names, &self.status.classes);
        names
    }
}

impl TaskListText {
    fn content(&self) -> String {
        html_or_text(&self.html, &self.text)
    }
}

impl TaskListStatus {
    fn content(&self) -> String {
        match &self.tag {
            Some(tag) => tag.to_string(),
            None => html_or_text(&self.html, &self.text),
        }
    }
}
