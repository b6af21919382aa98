"""LangChain retriever over the knowledge base, so chains and agents can use Tandem's
hybrid search (with its filters and citations) like any other retriever."""

from __future__ import annotations

from typing import Any

from langchain_core.callbacks import CallbackManagerForRetrieverRun
from langchain_core.documents import Document
from langchain_core.retrievers import BaseRetriever
from pydantic import ConfigDict

from assistant.retrieval.models import SearchMethod, SearchResult
from assistant.retrieval.service import Filters, KnowledgeBase


def as_document(result: SearchResult) -> Document:
    return Document(
        page_content=result.text,
        id=result.chunk_id,
        metadata=result.model_dump(exclude={"text"}),
    )


class GuidanceRetriever(BaseRetriever):
    model_config = ConfigDict(arbitrary_types_allowed=True)

    knowledge: KnowledgeBase
    k: int = 5
    filters: Filters = Filters()
    method: SearchMethod = "hybrid"

    def _get_relevant_documents(
        self, query: str, *, run_manager: CallbackManagerForRetrieverRun, **_: Any
    ) -> list[Document]:
        results = self.knowledge.search(query, k=self.k, filters=self.filters, method=self.method)
        return [as_document(r) for r in results]
