-- An organisation's language model for the virtual patient in simulations: an OpenAI-compatible endpoint on its
-- own network (llama.cpp, vLLM, Ollama), the model's name and the key it wants, if any. A setting (one row per
-- organisation, replaced when the admin saves), like the single sign-on provider: the key is never shown again.
CREATE TABLE virtual_patient_models (
    org_id BIGINT PRIMARY KEY REFERENCES organisations(id),
    endpoint TEXT NOT NULL,
    model TEXT NOT NULL,
    api_key TEXT NOT NULL,
    updated_at TIMESTAMPTZ NOT NULL,
    updated_by BIGINT NOT NULL REFERENCES accounts(id)
);
