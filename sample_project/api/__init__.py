"""The sample project's DRF API: notes served by async_handler.drf's async ModelViewSet."""
