app_name = "talks"

urlpatterns: list = []
