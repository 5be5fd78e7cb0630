//! The language of the team a chat goes to, for the words of ours its agents read (the handover's
//! summary line, the support e-mail): the web store's `agentLanguage` in the opening hours
//! (`BUSINESS_HOURS`, or the SSM parameter `BUSINESS_HOURS_PARAM`, kept current as availability
//! keeps them), else the deployment's `AGENT_LANGUAGE`, else English.

use crate::rules::language::{self, Language, Spoken, WebstoreLanguages};
use crate::setup::config::{self, ConfigError, Env};
use crate::setup::refreshing::Refreshing;

/// Where a team's language is read.
pub struct TeamLanguage {
    webstores: Option<Refreshing<WebstoreLanguages>>,
    deployment: Spoken,
}

impl TeamLanguage {
    /// From `AGENT_LANGUAGE` and, when they are configured, the opening hours' web store entries;
    /// a language we do not write in is refused here, naming its variable.
    pub async fn from_env(env: &Env, sdk: &aws_config::SdkConfig) -> Result<Self, ConfigError> {
        let webstores = Refreshing::load_if_set(
            env,
            config::BUSINESS_HOURS,
            config::BUSINESS_HOURS_PARAM,
            sdk,
            |json| WebstoreLanguages::from_hours(json.expose()),
        )
        .await?;
        Ok(Self {
            webstores,
            deployment: Spoken {
                customer: None,
                agent: env.parsed(config::AGENT_LANGUAGE, Language::configured)?,
            },
        })
    }

    /// The language of `webstore`'s team.
    pub async fn of(&self, webstore: Option<&str>) -> Language {
        let spoken = match &self.webstores {
            Some(webstores) => webstores.get().await.of(webstore),
            None => Spoken::default(),
        };
        language::agent_language(spoken, self.deployment)
    }
}
